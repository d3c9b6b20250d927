//! A browser for the console over `TestClient`: it keeps the cookies the server sets, sends
//! them back, and reads the hidden fields (CSRF token, login token) out of the pages.

use std::collections::BTreeMap;

use poem::http::{Method, header};

use super::{Reply, TestApp};

/// Cookies and the last page, as a browser would hold them.
#[derive(Clone, Debug, Default)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
    /// Extra headers sent with every request (`Accept-Language`, `Origin` …).
    pub headers: Vec<(String, String)>,
}

impl Browser {
    pub fn new() -> Self {
        Self::default()
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, reply: &Reply) {
        for value in reply.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().expect("ASCII cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            let deleted = attributes.contains("Max-Age=0");
            if deleted || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
    }

    /// A request with this browser's cookies; the answer's cookies are kept.
    pub async fn send(
        &mut self,
        app: &TestApp,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Reply {
        let mut request = app.client.request(method, path);
        if !self.cookies.is_empty() {
            request = request.header(header::COOKIE, self.cookie_header());
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(fields) = form {
            let body: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields.iter())
                .finish();
            request = request
                .content_type("application/x-www-form-urlencoded")
                .body(body);
        }
        let reply = Reply::from(request.send().await).await;
        self.keep_cookies(&reply);
        reply
    }

    pub async fn get(&mut self, app: &TestApp, path: &str) -> Reply {
        self.send(app, Method::GET, path, None).await
    }

    pub async fn post(&mut self, app: &TestApp, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send(app, Method::POST, path, Some(form)).await
    }

    /// A form with a file, as a browser sends `enctype="multipart/form-data"`: the text
    /// fields, then the file (if any) as the field `file_field` with its name and type.
    pub async fn post_multipart(
        &mut self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &str, &[u8])>,
    ) -> Reply {
        const BOUNDARY: &str = "----dorfapp-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((field, file_name, content_type, bytes)) = file {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let mut request = app.client.request(Method::POST, path);
        if !self.cookies.is_empty() {
            request = request.header(header::COOKIE, self.cookie_header());
        }
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let reply = Reply::from(
            request
                .content_type(format!("multipart/form-data; boundary={BOUNDARY}"))
                .body(body)
                .send()
                .await,
        )
        .await;
        self.keep_cookies(&reply);
        reply
    }

    /// Opens the login page and signs in; the answer to the form.
    pub async fn sign_in_reply(&mut self, app: &TestApp, email: &str, password: &str) -> Reply {
        let page = self.get(app, "/console/login").await;
        assert_eq!(page.status, 200, "{}", page.text);
        let token = hidden(&page.text, "_login");
        self.post(
            app,
            "/console/login",
            &[
                ("_login", &token),
                ("email", email),
                ("password", password),
                ("next", "/console/"),
            ],
        )
        .await
    }

    /// Signs in and checks that it worked.
    pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> Self {
        let mut browser = Self::new();
        let reply = browser.sign_in_reply(app, email, password).await;
        assert_eq!(reply.status, 303, "signed in: {}", reply.text);
        browser
    }

    /// The CSRF token of a page's forms.
    pub async fn csrf(&mut self, app: &TestApp, page: &str) -> String {
        let reply = self.get(app, page).await;
        assert_eq!(reply.status, 200, "{page}: {}", reply.text);
        hidden(&reply.text, "_csrf")
    }

    /// The sign-in cookie's value, if the browser holds one.
    pub fn session_cookie(&self) -> Option<&String> {
        self.cookies
            .get("dorfapp_console")
            .or_else(|| self.cookies.get("__Host-dorfapp_console"))
    }
}

/// The value of the input `name` in a page (hidden or not), as a browser would read it.
#[track_caller]
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in {html}"));
    let tag_start = html[..at].rfind('<').expect("inside a tag");
    let tag = &html[tag_start..at + html[at..].find('>').expect("closing >")];
    let start = tag
        .find(" value=\"")
        .unwrap_or_else(|| panic!("input {name} has no value: {tag}"))
        + " value=\"".len();
    let end = tag[start..].find('"').expect("closing quote") + start;
    tag[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
