// Runs in the Mini App's frame before the app: the sandbox wallet, an
// injected TON Connect wallet (JS bridge) whose keys live in the sandbox's
// emulated chain. Connecting proves ownership with a real ton_proof;
// sending signs real external messages.
(function () {
  'use strict';
  var user = new URLSearchParams(location.search).get('user') || '';
  var storeKey = 'tonpay-sandbox-wallet-' + user;
  window.__tonpaySandbox = { user: user };
  async function post(path, body) {
    var r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error((await r.text()) || 'HTTP ' + r.status);
    return r.json();
  }
  var deviceInfo = {
    platform: 'browser', appName: 'Tonkeeper', appVersion: '5.0.0', maxProtocolVersion: 2,
    features: ['SendTransaction', { name: 'SendTransaction', maxMessages: 4 }],
  };
  var walletInfo = {
    name: 'Sandbox wallet', app_name: 'tonkeeper', image: '/sandbox/wallet.svg', about_url: '/sandbox/',
    platforms: ['chrome', 'firefox', 'safari', 'macos', 'windows', 'linux'],
  };
  // Telegram's payment sheet: openInvoice pays through the sandbox's
  // Telegram stand-in (pre-checkout, then the payment) and closes with its
  // status. Patched once the app's Telegram.WebApp exists.
  document.addEventListener('DOMContentLoaded', function () {
    var wa = window.Telegram && window.Telegram.WebApp;
    if (!wa) return;
    wa.openInvoice = function (link, callback) {
      post('/sandbox/api/pay', { user: user, link: link }).then(
        function (r) { if (callback) callback(r.status); },
        function () { if (callback) callback('failed'); });
    };
  });
  var nextId = 1;
  var listeners = [];
  function emit(ev) { listeners.forEach(function (cb) { cb(ev); }); }
  window.tonkeeper = {
    tonconnect: {
      deviceInfo: deviceInfo,
      walletInfo: walletInfo,
      protocolVersion: 2,
      isWalletBrowser: true,
      connect: async function (protocolVersion, request) {
        var proof = (request.items || []).find(function (i) { return i.name === 'ton_proof'; });
        var domain = location.host;
        try {
          var manifest = await (await fetch(request.manifestUrl)).json();
          if (manifest.url) domain = new URL(manifest.url).host;
        } catch (e) { /* keep location.host */ }
        try {
          var r = await post('/sandbox/api/wallet/connect', { user: user, payload: proof ? proof.payload : '', domain: domain });
          var addr = r.items.find(function (i) { return i.name === 'ton_addr'; });
          sessionStorage.setItem(storeKey, JSON.stringify(addr));
          return { event: 'connect', id: nextId++, payload: { device: deviceInfo, items: r.items } };
        } catch (e) {
          return { event: 'connect_error', id: nextId++, payload: { code: 0, message: String(e.message || e) } };
        }
      },
      restoreConnection: async function () {
        var item = sessionStorage.getItem(storeKey);
        if (!item) return { event: 'connect_error', id: nextId++, payload: { code: 100, message: 'Unknown app' } };
        return { event: 'connect', id: nextId++, payload: { device: deviceInfo, items: [JSON.parse(item)] } };
      },
      send: async function (request) {
        if (request.method === 'sendTransaction') {
          var p = JSON.parse(request.params[0]);
          var r = await post('/sandbox/api/wallet/send', { user: user, messages: p.messages });
          window.parent && window.parent.postMessage(JSON.stringify({ sandbox: 'wallet-sent' }), location.origin);
          if (r.error) return { error: { code: 300, message: r.error }, id: request.id };
          return { result: r.boc, id: request.id };
        }
        if (request.method === 'disconnect') {
          sessionStorage.removeItem(storeKey);
          emit({ event: 'disconnect', id: nextId++, payload: {} });
          return { result: {}, id: request.id };
        }
        return { error: { code: 400, message: 'unsupported ' + request.method }, id: request.id };
      },
      listen: function (cb) {
        listeners.push(cb);
        return function () { listeners = listeners.filter(function (x) { return x !== cb; }); };
      },
      disconnect: function () { sessionStorage.removeItem(storeKey); },
    },
  };
})();
