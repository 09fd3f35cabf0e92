// Stands in for react-devtools-core in the bundled UI (src/ui/render-monitor.tsx is bundled by
// `npm run build`): Ink imports it only when DEV=true, and it is not a dependency of this package.
export default {};
