//! The page's entry point (main thread). Burn never lands in this bundle.

fn main() {
    atelier::ui::install_panic_hook();
    yew::Renderer::<atelier::ui::App>::new().render();
}
