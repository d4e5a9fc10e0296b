// Types for Vite's asset imports (the shipped checkpoint is imported as a URL).
/// <reference types="vite/client" />
/// <reference types="svelte" />
