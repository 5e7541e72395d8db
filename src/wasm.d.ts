// A `.wasm` import is a precompiled WebAssembly.Module on workerd (the only place we import one).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
