#!/usr/bin/env python3
"""Records the traveller screen's spoken prompts with espeak-ng: one WAV per language and
message of the built-in catalogues (messages/<lang>.toml), to OUT/<lang>/<message>.wav.

    scripts/record-prompts.py OUT

Re-records only when a catalogue changed (OUT/.catalogues.sha256 records their hash).
"""
import hashlib
import pathlib
import subprocess
import sys
import tomllib

# espeak-ng voice per catalogue language.
VOICES = {"en": "en", "fr": "fr", "de": "de", "es": "es", "ar": "ar", "zh": "cmn"}


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = pathlib.Path(sys.argv[1])
    top = pathlib.Path(__file__).resolve().parent.parent
    files = sorted((top / "messages").glob("*.toml"))
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    stamp = out / ".catalogues.sha256"
    if stamp.exists() and stamp.read_text().strip() == digest:
        return 0
    for f in files:
        lang = f.stem
        voice = VOICES.get(lang)
        if voice is None:
            print(f"{f}: no espeak-ng voice configured for {lang!r}", file=sys.stderr)
            return 1
        catalogue = tomllib.loads(f.read_text(encoding="utf-8"))
        (out / lang).mkdir(parents=True, exist_ok=True)
        for key, text in catalogue["messages"].items():
            subprocess.run(
                ["espeak-ng", "-v", voice, "-w", str(out / lang / f"{key}.wav"), text],
                check=True,
            )
    stamp.write_text(digest + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
