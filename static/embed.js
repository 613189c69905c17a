// live-shop embed loader: the one script a page adds.
//   <script type="module" src="https://YOUR-BACKEND/embed.js"></script>
//   <live-shop backend="https://YOUR-BACKEND" stream="demo"><video …></video></live-shop>
// It loads the widget's wasm next to itself, then defines <live-shop> and window.LiveShop.
import init from './live-shop.js';

await init({ module_or_path: new URL('./live-shop_bg.wasm', import.meta.url) });
window.dispatchEvent(new Event('live-shop:ready'));
