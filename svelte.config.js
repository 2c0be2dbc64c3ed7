// Svelte compiler options: TypeScript in components via Vite's own transform.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default { preprocess: vitePreprocess() };
