# The two commands of the README. Both run scripts/setup.sh first (idempotent).
.PHONY: demo test setup
demo:
	scripts/demo.sh
test:
	scripts/test.sh
setup:
	scripts/setup.sh
