//! The page's entry point (main thread). Burn never lands in this bundle.

fn main() {
    yew::Renderer::<atelier::ui::App>::new().render();
}
