//! Headless Chromium (Debian's `chromium`) driven through `chromedriver`,
//! with a fake camera that films a test card.

use std::{
    os::unix::process::CommandExt as _,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use base64::Engine as _;
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::json;

use crate::support::serve::free_port;

/// A browser session; chromedriver and Chromium stop with it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn chromium() -> &'static str {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("the desk tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
}

/// `picture` as a Y4M clip (4:2:0, full range), the format Chromium's
/// fake camera plays in a loop.
pub fn y4m(picture: &image::RgbImage, path: &Path) {
    let (w, h) = (picture.width() as usize, picture.height() as usize);
    let mut out = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    let px = |x: usize, y: usize| {
        let p = picture.get_pixel(x as u32, y as u32).0;
        (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]))
    };
    let clamp = |v: f32| v.round().clamp(0.0, 255.0) as u8;
    let mut frame = Vec::with_capacity(w * h * 3 / 2);
    for y in 0..h {
        for x in 0..w {
            let (r, g, b) = px(x, y);
            frame.push(clamp(0.299 * r + 0.587 * g + 0.114 * b));
        }
    }
    for (ru, gu, bu, base) in [
        (-0.168_736, -0.331_264, 0.5, 128.0),
        (0.5, -0.418_688, -0.081_312, 128.0),
    ] {
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let (r, g, b) = px(x, y);
                frame.push(clamp(base + ru * r + gu * g + bu * b));
            }
        }
    }
    for _ in 0..5 {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).expect("write the fake camera clip");
}

/// A Y4M clip of a few frames: a face-sized dark oval on a light
/// background with colour bars, so a captured photo has something to crop.
fn fake_camera(path: &Path) {
    let (w, h) = (640usize, 480usize);
    let mut out = format!("YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..10 {
        out.extend_from_slice(b"FRAME\n");
        for y in 0..h {
            for x in 0..w {
                let dx = (x as f32 - w as f32 / 2.0) / 110.0;
                let dy = (y as f32 - h as f32 / 2.0) / 150.0;
                let luma = if dx * dx + dy * dy < 1.0 {
                    60
                } else {
                    200 - (x * 120 / w) as u8
                };
                out.push(luma);
            }
        }
        for plane in [90u8, 170u8] {
            for y in 0..h / 2 {
                for x in 0..w / 2 {
                    out.push(plane.wrapping_add(((x / 40 + y / 40) % 3) as u8 * 20));
                }
            }
        }
    }
    std::fs::write(path, out).expect("write the fake camera clip");
}

impl Browser {
    /// A fresh headless browser at `width` x `height`.
    pub async fn start(width: u32, height: u32) -> Self {
        Self::start_filming(width, height, None).await
    }

    /// A browser whose camera films `clip` (a Y4M file), or a test card.
    pub async fn start_filming(width: u32, height: u32, clip: Option<&Path>) -> Self {
        let profile = tempfile::tempdir().expect("profile dir");
        let clip = match clip {
            Some(clip) => clip.to_owned(),
            None => {
                let clip = profile.path().join("camera.y4m");
                fake_camera(&clip);
                clip
            }
        };
        let port = free_port();
        // In a process group of its own, so that Chromium goes with it.
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("the desk tests need chromedriver (apt-get install chromium-driver)");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--no-first-run",
                    format!("--user-data-dir={}", profile.path().join("chrome").display()),
                    format!("--window-size={width},{height}"),
                    "--lang=en-GB",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    format!("--use-file-for-fake-video-capture={}", clip.display()),
                ],
            },
        });
        let caps = caps.as_object().expect("object").clone();
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    // The page itself gets `width` x `height`, whatever the
                    // browser's own frame takes.
                    let inner = client
                        .execute("return [window.innerWidth, window.innerHeight];", vec![])
                        .await
                        .expect("viewport");
                    let size = |i: usize| inner[i].as_u64().and_then(|v| u32::try_from(v).ok());
                    if let (Some(iw), Some(ih)) = (size(0), size(1)) {
                        let _ = client
                            .set_window_size(
                                width + width.saturating_sub(iw),
                                height + height.saturating_sub(ih),
                            )
                            .await;
                    }
                    return Self {
                        client,
                        driver,
                        _profile: profile,
                    };
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("chromedriver did not start a session: {last:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("open the page");
    }

    /// The element once it is there (5 s at most).
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// Whether `condition` (a JavaScript expression) becomes true within
    /// `ms` milliseconds.
    pub async fn within(&self, ms: u64, condition: &str) -> bool {
        let script = format!("return !!({condition});");
        for _ in 0..ms.div_ceil(50) {
            let v = self.client.execute(&script, vec![]).await.expect("script");
            if v.as_bool() == Some(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Waits until `condition` (a JavaScript expression) is true.
    pub async fn until(&self, what: &str, condition: &str) {
        let script = format!("return !!({condition});");
        for _ in 0..200 {
            let v = self.client.execute(&script, vec![]).await.expect("script");
            if v.as_bool() == Some(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let body = self.text("body").await;
        panic!("waited in vain for {what} ({condition}); the page shows:\n{body}");
    }

    /// Waits until the page shows `text` somewhere.
    pub async fn until_text(&self, text: &str) {
        let escaped = serde_json::to_string(text).expect("json");
        self.until(
            &format!("the text {text:?}"),
            &format!("document.body.innerText.includes({escaped})"),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// Clears a field and types `text` into it, as a user would (every
    /// keystroke an input event; emptying it is one too).
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        // WebDriver's clear fires no input event: without one, the page
        // still holds the old text and may write it back before typing.
        self.client
            .execute(
                "arguments[0].dispatchEvent(new Event('input', { bubbles: true }));",
                vec![serde_json::to_value(&field).expect("element")],
            )
            .await
            .expect("input event");
        if !text.is_empty() {
            field.send_keys(text).await.expect("type");
        }
    }

    /// Clicks the first element `css` finds, once it can take a click: a
    /// dialog just opened may still be coming in, and a page just
    /// rendered may replace the element.
    pub async fn click(&self, css: &str) {
        let mut tries = 0;
        loop {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(e) if tries < 40 && not_yet_clickable(&e) => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("click {css}: {e:?}"),
            }
        }
    }

    /// Clicks the button whose text is exactly `label`.
    pub async fn press(&self, label: &str) {
        let xpath = format!("//button[normalize-space(.)={}]", xpath_literal(label));
        let button = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button {label:?}: {e}"));
        self.until(
            &format!("button {label:?} enabled"),
            &format!(
                "(()=>{{const b=document.evaluate({},document,null,9,null).singleNodeValue;return b&&!b.disabled}})()",
                serde_json::to_string(&xpath).expect("json")
            ),
        )
        .await;
        button.click().await.expect("click");
    }

    /// Clicks the first button whose text contains `label`.
    pub async fn press_containing(&self, label: &str) {
        let xpath = format!(
            "//button[contains(normalize-space(.), {})]",
            xpath_literal(label)
        );
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button with {label:?}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Runs `script` (an async function body) and returns its value.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        let wrapped = format!(
            "const done = arguments[arguments.length - 1]; (async () => {{ {script} }})().then(done, e => done('ERROR: ' + e));"
        );
        self.client
            .execute_async(&wrapped, vec![])
            .await
            .expect("script")
    }

    /// The bytes behind a blob: link on the page.
    pub async fn blob(&self, css: &str) -> Vec<u8> {
        let selector = serde_json::to_string(css).expect("json");
        let v = self
            .eval(&format!(
                "const href = document.querySelector({selector}).href;
                 const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
                 let s = ''; for (let i = 0; i < bytes.length; i += 0x8000) {{
                   s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)); }}
                 return btoa(s);"
            ))
            .await;
        let text = v.as_str().expect("base64 text");
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap_or_else(|_| panic!("not base64: {text:.200}"))
    }

    /// Saves a screenshot as `name`.png in the test's output directory, and
    /// in `EXPOPASS_SCREENSHOTS` when set (to refresh docs/screenshots).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, &png).expect("write screenshot");
        if let Ok(docs) = std::env::var("EXPOPASS_SCREENSHOTS") {
            std::fs::create_dir_all(&docs).expect("screenshot dir");
            std::fs::write(Path::new(&docs).join(format!("{name}.png")), &png)
                .expect("write screenshot");
        }
        path
    }

    pub async fn stop(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.driver.id()) {
            // SAFETY: signals the process group this session started.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
        let _ = self.driver.wait();
    }
}

fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else {
        format!("\"{s}\"")
    }
}

/// Whether a click failed only because the element cannot take it yet.
fn not_yet_clickable(e: &fantoccini::error::CmdError) -> bool {
    e.is_element_not_interactable() || e.is_stale_element_reference()
}
