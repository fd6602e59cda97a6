// esbuild bundles the styles a module imports into the page's one stylesheet.
declare module '*.css'
