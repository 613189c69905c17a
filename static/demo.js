// The demo page: switches the widget's locale from ?locale= or the picker, answers
// add-to-cart like a shop page would, and logs the widget's DOM events.
const shop = document.getElementById('shop');
const log = document.getElementById('log');
const picker = document.getElementById('locale');
const pageCart = document.getElementById('page-cart');
const params = new URLSearchParams(location.search);

shop.setAttribute('backend', params.get('backend') || location.origin);
const locale = params.get('locale') || 'en';
picker.value = locale;
shop.setAttribute('locale', locale);
picker.addEventListener('change', () => shop.setAttribute('locale', picker.value));
if (params.get('cart') === 'backend') pageCart.checked = false;

function note(name, detail) {
  const item = document.createElement('li');
  item.textContent = `${name} ${JSON.stringify(detail && { ...detail, respondWith: undefined })}`;
  log.prepend(item);
}

let items = 0;
shop.addEventListener('live-shop:add-to-cart', (event) => {
  note(event.type, event.detail);
  if (!pageCart.checked) return; // unanswered: the widget uses the backend's cart
  event.preventDefault();
  const { product, quantity } = event.detail;
  event.detail.respondWith(new Promise((resolve, reject) => setTimeout(() => {
    if (params.get('cart') === 'reject') { reject({ message: 'The bag is full' }); return; }
    items += quantity;
    document.getElementById('cart-count').textContent = `Bag: ${items} items`;
    resolve({ message: `${product.title} is in your bag (${items})` });
  }, 300)));
});
for (const name of ['live-shop:impression', 'live-shop:click']) {
  shop.addEventListener(name, (event) => note(event.type, event.detail));
}

// Full screen on the player's container keeps the overlay; the video's own full-screen button
// shows the bare video, as browsers (and iOS always) do for a video element.
document.getElementById('fullscreen').addEventListener('click', () => {
  document.querySelector('.player').requestFullscreen?.();
});
