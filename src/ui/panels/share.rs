//! "Copy link": the page's address carries the run's settings (`state::link`), so a teacher's
//! link sets up every student's page the same. Also what a link asked for and could not have.

use yew::prelude::*;

use crate::protocol::RunSettings;
use crate::state::link;
use crate::ui::services::address;

#[derive(Properties, PartialEq)]
pub struct ShareLinkProps {
    pub settings: RunSettings,
    /// What the page's own link named and was refused (see `link::apply`).
    pub notes: Vec<String>,
}

/// The link copied, and whether it reached the clipboard (if not, it is shown to copy).
#[derive(Clone, PartialEq)]
struct Copied {
    href: String,
    on_clipboard: bool,
}

#[component]
pub fn ShareLink(props: &ShareLinkProps) -> Html {
    let copied = use_state(|| None::<Copied>);
    let show_qr = use_state(|| false);
    // The address follows the settings, so a reload or a bookmark keeps them; a bare address
    // stays bare until something is changed.
    use_effect_with(props.settings.clone(), |settings| {
        let bare = address::query_pairs().iter().all(|(key, _)| !link::KEYS.contains(&key.as_str()));
        if !(bare && *settings == RunSettings::default()) {
            address::replace_address(&address::address_with(&link::to_pairs(settings, None)));
        }
    });
    let onclick = {
        let (copied, settings) = (copied.clone(), props.settings.clone());
        Callback::from(move |_| {
            let href = address::address_with(&link::to_pairs(&settings, None));
            let copied = copied.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let on_clipboard = address::copy_text(&href).await;
                copied.set(Some(Copied { href, on_clipboard }));
            });
        })
    };
    html! {
        <div class="share">
            <button class="button small" data-testid="copy-link" {onclick}
                    title="A link that opens Atelier with these settings, for a class or a colleague">{"Copy link to these settings"}</button>
            <button class="button small" data-testid="show-qr" aria-pressed={show_qr.to_string()}
                    onclick={{ let show_qr = show_qr.clone(); Callback::from(move |_| show_qr.set(!*show_qr)) }}
                    title="The link as a QR code, for a class to scan from the projector">{"QR code"}</button>
            if let Some(Copied { href, on_clipboard }) = &*copied {
                if *on_clipboard {
                    <span class="hint" role="status" data-testid="copy-link-status" data-link={href.clone()}>
                        {"Link copied: whoever opens it gets this page with these settings."}
                    </span>
                } else {
                    <input class="link-text" readonly=true value={href.clone()} data-testid="copy-link-status" data-link={href.clone()}
                           aria-label="Link to these settings: copy it" onfocus={Callback::from(|e: FocusEvent| {
                               e.target_unchecked_into::<web_sys::HtmlInputElement>().select();
                           })} />
                }
            }
            if *show_qr {
                <QrCode link={address::address_with(&link::to_pairs(&props.settings, None))} />
            }
            if !props.notes.is_empty() {
                <div class="notice" role="alert" data-testid="link-note">
                    <p>{"Part of this page's link was not used; those settings keep their defaults:"}</p>
                    <ul>{ for props.notes.iter().map(|note| html! { <li>{note}</li> }) }</ul>
                </div>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct QrCodeProps {
    pub link: AttrValue,
}

/// The link as a QR code, large enough to scan from the back of a room.
#[component]
pub fn QrCode(props: &QrCodeProps) -> Html {
    let picture = use_memo(props.link.clone(), |link| link::qr_svg(link));
    html! {
        <figure class="link-qr" data-testid="link-qr" data-link={props.link.clone()}>
            if let Some(svg) = picture.as_ref() {
                // Markup the qrcode crate drew from the link's modules: no text of the link in it.
                { Html::from_html_unchecked(AttrValue::from(svg.clone())) }
                <figcaption>{"Scan to open Atelier with these settings"}</figcaption>
            } else {
                <figcaption>{"This link is too long for a QR code: copy it instead."}</figcaption>
            }
        </figure>
    }
}
