//! The two compute backends: WebGPU through Burn's wgpu runtime, where the browser has a usable
//! adapter, and the Flex CPU backend. Which one is used is decided by `chooser` (by measuring).
//!
//! The subgroups fix: CubeCL's WGSL kernels declare `enable subgroups;` on the web, but wgpu's
//! browser backend cannot ask for that feature, so Chromium refuses the shaders and training
//! silently computes garbage. Before Burn requests its device we shadow `navigator.gpu
//! .requestAdapter` with a wrapper that, on adapters offering `subgroups`, shadows
//! `requestDevice` to add `'subgroups'` to the required features. wgpu looks both methods up
//! by name at call time, so the own properties take effect. No JS is evaluated or injected.

use burn::prelude::Device;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use std::cell::RefCell;
use std::rc::Rc;

use super::shared::{Shared, yield_to_events};
use crate::protocol::{BackendKind, CrossCheck};
use crate::race::{GpuStatus, is_software_adapter};
use crate::training::cross_check;

#[derive(Clone)]
pub struct Backend {
    pub kind: BackendKind,
    pub device: Device,
    /// WebGPU's check against the CPU when it started.
    pub check: Option<CrossCheck>,
}

/// Where the wgpu runtime is (it starts at most once per worker).
#[derive(Default)]
pub(super) enum WebGpu {
    #[default]
    NotStarted,
    Starting,
    Started(Backend),
    Failed(String),
}

pub fn cpu() -> Backend {
    Backend { kind: BackendKind::Cpu, device: Device::flex(), check: None }
}

thread_local! {
    static GPU_DEVICE: std::cell::RefCell<Option<JsValue>> = const { std::cell::RefCell::new(None) };
}

/// Destroys the WebGPU device, as a driver reset or an unplugged GPU would. For fault-injection
/// tests (`?debug=1` on the page); `false` when there is no WebGPU device.
pub fn lose_gpu_device() -> bool {
    GPU_DEVICE.with(|slot| {
        let Some(device) = slot.borrow().clone() else {
            return false;
        };
        get(&device, "destroy").dyn_into::<Function>().is_ok_and(|destroy| destroy.call0(&device).is_ok())
    })
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `navigator.gpu` in this worker, if the browser exposes WebGPU.
fn navigator_gpu() -> Option<JsValue> {
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    (!gpu.is_undefined() && !gpu.is_null()).then_some(gpu)
}

/// What this browser's WebGPU offers, without starting a device (cheap: one adapter request).
pub async fn probe_gpu() -> GpuStatus {
    let Some(gpu) = navigator_gpu() else {
        return GpuStatus::Unavailable("WebGPU not available in this browser".into());
    };
    match inspect_adapter(&gpu).await {
        Ok((adapter, software)) => GpuStatus::Available { adapter, software },
        Err(reason) => GpuStatus::Unavailable(reason),
    }
}

/// Starts Burn's wgpu runtime and checks it against the CPU; the reason (and the check, when
/// it ran) when WebGPU must not be used. Call at most once per worker. `software`: what
/// [`probe_gpu`] found, when it ran (else the adapter is asked once more).
pub async fn start_webgpu(software: Option<bool>) -> Result<Backend, (String, Option<CrossCheck>)> {
    let gpu = navigator_gpu().ok_or(("WebGPU not available in this browser".to_string(), None))?;
    // A software adapter runs the dense layers' products through the kernel written for it
    // (before the check below, which then covers it).
    let software = match software {
        Some(known) => Some(known),
        None => inspect_adapter(&gpu).await.ok().map(|(_, software)| software),
    };
    if let Some(software) = software {
        crate::model::set_software_gpu(software);
    }
    if let Err(err) = request_subgroups(&gpu) {
        web_sys::console::warn_1(&err);
    }
    let device =
        Device::wgpu_options().init_async().await.map_err(|err| (format!("WebGPU could not start ({err})"), None))?;
    // Never train on a GPU that computes something else than the CPU.
    let check = match cross_check(&Device::flex(), &device, 7).await {
        Ok(check) => check,
        Err(err) => {
            return Err((format!("WebGPU failed its first computation ({err:?})"), None));
        }
    };
    if !check.agrees() {
        return Err(("WebGPU gave wrong results on this GPU".into(), Some(check)));
    }
    Ok(Backend { kind: BackendKind::WebGpu, device, check: Some(check) })
}

/// Installs the `requestAdapter` / `requestDevice` wrappers described in the module docs.
fn request_subgroups(gpu: &JsValue) -> Result<(), JsValue> {
    let real_request_adapter: Function = get(gpu, "requestAdapter").dyn_into()?;
    let gpu_for_call = gpu.clone();
    let wrapper = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |options: JsValue| {
        let pending = real_request_adapter.call1(&gpu_for_call, &options);
        future_to_promise(async move {
            let adapter = JsFuture::from(Promise::from(pending?)).await?;
            if !adapter.is_null() && !adapter.is_undefined() {
                let _ = add_subgroups_to_device_requests(&adapter);
            }
            Ok(adapter)
        })
    });
    Reflect::set(gpu, &"requestAdapter".into(), wrapper.as_ref())?;
    wrapper.forget(); // lives as long as the worker
    Ok(())
}

fn add_subgroups_to_device_requests(adapter: &JsValue) -> Result<(), JsValue> {
    let features = get(adapter, "features");
    let has: Function = get(&features, "has").dyn_into()?;
    if !has.call1(&features, &"subgroups".into())?.is_truthy() {
        return Ok(());
    }
    let real_request_device: Function = get(adapter, "requestDevice").dyn_into()?;
    let adapter_for_call = adapter.clone();
    let wrapper = Closure::<dyn FnMut(JsValue) -> Result<JsValue, JsValue>>::new(move |descriptor: JsValue| {
        let descriptor = if descriptor.is_object() { descriptor } else { Object::new().into() };
        let required = get(&descriptor, "requiredFeatures");
        let list = if required.is_undefined() { Array::new() } else { Array::from(&required) };
        if !list.includes(&"subgroups".into(), 0) {
            list.push(&"subgroups".into());
        }
        Reflect::set(&descriptor, &"requiredFeatures".into(), &list)?;
        let pending = real_request_device.call1(&adapter_for_call, &descriptor)?;
        // Keep a handle on the device so a test can simulate its loss (`lose_gpu_device`).
        let remember = Closure::once_into_js(|device: JsValue| {
            GPU_DEVICE.with(|slot| *slot.borrow_mut() = Some(device.clone()));
            device
        });
        let then: Function = get(&pending, "then").dyn_into()?;
        then.call1(&pending, &remember)
    });
    Reflect::set(adapter, &"requestDevice".into(), wrapper.as_ref())?;
    wrapper.forget();
    Ok(())
}

/// Checks the adapter can run Burn's kernels; its name for the badge and whether it is a
/// software one, or why it cannot.
async fn inspect_adapter(gpu: &JsValue) -> Result<(String, bool), String> {
    let request: Function = get(gpu, "requestAdapter").dyn_into().map_err(|_| "WebGPU has no requestAdapter")?;
    let adapter = match request.call0(gpu) {
        Ok(promise) => JsFuture::from(Promise::from(promise)).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    if adapter.is_null() || adapter.is_undefined() {
        return Err("WebGPU is present but found no usable GPU".into());
    }
    let has = |set: JsValue, name: &str| {
        get(&set, "has")
            .dyn_into::<Function>()
            .ok()
            .and_then(|f| f.call1(&set, &name.into()).ok())
            .is_some_and(|v| v.is_truthy())
    };
    if !has(get(&adapter, "features"), "subgroups") {
        return Err("This GPU's WebGPU lacks subgroups, which the training kernels need".into());
    }
    if !has(get(gpu, "wgslLanguageFeatures"), "subgroup_id") {
        return Err("This browser's WebGPU is too old for the training kernels (no subgroup_id)".into());
    }
    let name = adapter_name(&adapter).unwrap_or_else(|| "this GPU".into());
    // `info.isFallbackAdapter` (Chromium 1xx; formerly on the adapter itself), or the name.
    let fallback =
        get(&get(&adapter, "info"), "isFallbackAdapter").is_truthy() || get(&adapter, "isFallbackAdapter").is_truthy();
    let software = fallback || is_software_adapter(&name);
    Ok((name, software))
}

/// "SwiftShader (Google)" or similar, from the adapter's `info`.
fn adapter_name(adapter: &JsValue) -> Option<String> {
    let info = get(adapter, "info");
    let text = |key| get(&info, key).as_string().filter(|s: &String| !s.is_empty());
    match (text("description"), text("vendor"), text("architecture")) {
        (Some(d), _, _) => Some(d),
        (None, Some(v), Some(a)) => Some(format!("{v} {a}")),
        (None, Some(v), None) => Some(v),
        _ => None,
    }
}

/// The started WebGPU backend, starting it if needed; why not, when it cannot run.
pub(super) async fn ensure_webgpu(shared: &Rc<RefCell<Shared>>) -> Result<Backend, String> {
    loop {
        let start = {
            let mut s = shared.borrow_mut();
            let software = match &s.chooser.gpu {
                GpuStatus::Available { software, .. } => Some(*software),
                _ => None,
            };
            match &s.chooser.webgpu {
                WebGpu::Started(backend) => return Ok(backend.clone()),
                WebGpu::Failed(reason) => return Err(reason.clone()),
                WebGpu::Starting => None,
                WebGpu::NotStarted => {
                    s.chooser.webgpu = WebGpu::Starting;
                    Some(software)
                }
            }
        };
        let Some(software) = start else {
            yield_to_events(25).await;
            continue;
        };
        let started = start_webgpu(software).await;
        let mut s = shared.borrow_mut();
        match started {
            Ok(backend) => {
                s.chooser.check = backend.check;
                s.chooser.webgpu = WebGpu::Started(backend);
            }
            Err((reason, check)) => {
                s.chooser.check = check;
                s.chooser.gpu = GpuStatus::Unavailable(reason.clone());
                s.chooser.webgpu = WebGpu::Failed(reason);
            }
        }
    }
}
