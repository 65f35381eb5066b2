//! A logged-in session of the officers' console over HTTPS, as a browser has one: the
//! session cookie and the CSRF token of `POST /api/login`. The console's certificate is the
//! self-signed one a console makes when it has none; the TLS checks are the console's own
//! tests'.

use std::net::SocketAddr;

use serde_json::Value;

/// A logged-in console session.
pub struct Console {
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Console {
    /// Logs in to the console at `addr` as `user`.
    pub fn login(addr: SocketAddr, user: &str, password: &str) -> Console {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        let base = format!("https://{addr}");
        let (cookie, csrf) = rt.block_on(async {
            let r = client
                .post(format!("{base}/api/login"))
                .header("content-type", "application/json")
                .body(serde_json::json!({ "user": user, "password": password }).to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "login as {user}");
            let cookie = r.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            let body: Value = r.json().await.unwrap();
            (cookie, body["csrf"].as_str().unwrap().to_string())
        });
        Console {
            rt,
            client,
            base,
            cookie,
            csrf,
        }
    }

    /// `GET path`, which must answer 200 with JSON.
    pub fn get(&self, path: &str) -> Value {
        self.rt.block_on(async {
            let r = self
                .client
                .get(format!("{}{path}", self.base))
                .header("cookie", &self.cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "GET {path}");
            r.json().await.unwrap()
        })
    }

    /// `POST path` with a JSON body; the status and the JSON answer (`null` if none).
    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.rt.block_on(async {
            let r = self
                .client
                .post(format!("{}{path}", self.base))
                .header("cookie", &self.cookie)
                .header("x-csrf-token", &self.csrf)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json().await.unwrap_or(Value::Null))
        })
    }
}
