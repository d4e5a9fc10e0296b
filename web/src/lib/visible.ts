// Views below the fold need not recompute on every keystroke: `visible` tells a section whether it
// is on (or within a screen of) the viewport, so the page can hold an off-screen view's input until
// it comes into sight. Typing then pays only for what is on screen.

/** Svelte action: `on(true)` when the node comes within `margin` of the viewport, `on(false)` when it leaves. */
export function visible(node: HTMLElement, on: (shown: boolean) => void): { destroy(): void } {
  if (typeof IntersectionObserver === "undefined") {
    on(true);
    return { destroy() {} };
  }
  const observer = new IntersectionObserver((entries) => on(entries.some((e) => e.isIntersecting)), { rootMargin: "200px 0px" });
  observer.observe(node);
  return { destroy: () => observer.disconnect() };
}
