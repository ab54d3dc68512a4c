-- 0008: runs computed by qtcore's WebAssembly kernel (backend "wasm", the browser's default
-- where WebAssembly SIMD is available) can be published.
ALTER TABLE runs DROP CONSTRAINT runs_kernel_check;
ALTER TABLE runs ADD CONSTRAINT runs_kernel_check CHECK (kernel IN ('numpy', 'python', 'wasm'));
