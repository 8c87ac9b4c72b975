// Vitest setup (jsdom).
export {};
