// The Bazaar Mini App: plain JavaScript, no build step, no libraries. Every action goes through /api/v1/app, which
// knows the customer only from the signed initData sent as "Authorization: tma <initData>".
"use strict";
(() => {
  const tg = window.Telegram && window.Telegram.WebApp;
  const inTelegram = !!(tg && tg.initData);
  const $ = (id) => document.getElementById(id);
  let initData = "";
  let sandboxUser = null;
  let me = null;
  let T = null;

  const TEXTS = {
    en: {
      tab_shop: "Shop", tab_orders: "Orders", tab_wallet: "Wallet", tab_giveaways: "Giveaways", tab_friends: "Friends",
      outside_title: "Open this shop inside Telegram", outside_open: "Open the bot in Telegram",
      outside_text: "This page is a Telegram Mini App. It knows who you are only when Telegram opens it: open the bot and press Shop.",
      sandbox_title: "Development sandbox", sandbox_text: "Try the app signed as a sandbox user (the chat sandbox's user of the same id).",
      all_cities: "All cities", all_districts: "All districts", all_categories: "All categories", search: "Search",
      no_products: "Nothing matches these filters.", more: "Show more", in_stock: "In stock: {0}", sold_out: "Sold out", unlimited: "Available",
      reserve: "Reserve", continue_hold: "Continue to payment", held: "Reserved for you", expired: "The reservation has expired.",
      pay_wallet: "Pay {0} from wallet", pay_stars: "Pay ⭐ {0}", cancel: "Cancel reservation", your_balance: "Your balance",
      price: "Price", top_up: "Top up", not_enough: "Not enough money in the wallet. Top up, then pay.",
      order_paid: "Order #{0} is paid", your_orders: "Your orders", no_orders: "No orders yet.", paid_with: "Paid with {0}",
      delivery: "Delivery", open_file: "Open the file", open_map: "Open the map", balances: "Wallet", amount: "Amount",
      top_up_with: "Top up with", pay_here: "Pay {0} {1} to this address:", open_payment: "Open the payment page",
      payment_done: "Payment received: your balance is updated.", invoice_in_telegram: "Stars invoices open inside Telegram; use the chat to pay here.",
      referral: "Invite friends", referral_text: "Friends who start the bot with your link bring you a share of their deposits.",
      invited: "Invited", active: "Active", earned: "Earned", share: "Share the link", copy: "Copy", copied: "Copied",
      share_text: "Have a look at this shop", giveaways: "Open giveaways", no_giveaways: "No giveaways are open right now.",
      join: "Join", joined: "You take part ✓", ends: "Ends {0}", participants: "{0} taking part", prize: "Prize",
      captcha: "Answer to join: {0}", answer: "Answer", send: "Send", subscribe_first: "Subscribe to these channels, then press Join again:",
      reserved_banner: "Reserved: {0} · {1}", hold_hint: "The price is held while the timer runs.", cancelled: "The reservation is cancelled.",
    },
    ru: {
      tab_shop: "Магазин", tab_orders: "Заказы", tab_wallet: "Кошелёк", tab_giveaways: "Розыгрыши", tab_friends: "Друзья",
      outside_title: "Откройте магазин в Telegram", outside_open: "Открыть бота в Telegram",
      outside_text: "Это мини-приложение Telegram. Оно узнаёт вас, только когда его открывает Telegram: откройте бота и нажмите «Магазин».",
      sandbox_title: "Песочница разработчика", sandbox_text: "Попробуйте приложение от имени пользователя песочницы.",
      all_cities: "Все города", all_districts: "Все районы", all_categories: "Все категории", search: "Поиск",
      no_products: "Ничего не найдено.", more: "Показать ещё", in_stock: "В наличии: {0}", sold_out: "Нет в наличии", unlimited: "Доступно",
      reserve: "Забронировать", continue_hold: "Перейти к оплате", held: "Забронировано для вас", expired: "Бронь истекла.",
      pay_wallet: "Оплатить {0} с баланса", pay_stars: "Оплатить ⭐ {0}", cancel: "Отменить бронь", your_balance: "Ваш баланс",
      price: "Цена", top_up: "Пополнить", not_enough: "На балансе не хватает денег. Пополните и оплатите.",
      order_paid: "Заказ #{0} оплачен", your_orders: "Ваши заказы", no_orders: "Заказов пока нет.", paid_with: "Оплата: {0}",
      delivery: "Выдача", open_file: "Открыть файл", open_map: "Открыть карту", balances: "Кошелёк", amount: "Сумма",
      top_up_with: "Пополнить через", pay_here: "Переведите {0} {1} на адрес:", open_payment: "Открыть страницу оплаты",
      payment_done: "Платёж получен: баланс обновлён.", invoice_in_telegram: "Счёт в звёздах открывается в Telegram.",
      referral: "Пригласите друзей", referral_text: "Друзья, запустившие бота по вашей ссылке, приносят вам долю своих пополнений.",
      invited: "Приглашено", active: "Активны", earned: "Заработано", share: "Поделиться ссылкой", copy: "Копировать", copied: "Скопировано",
      share_text: "Загляни в этот магазин", giveaways: "Открытые розыгрыши", no_giveaways: "Сейчас нет открытых розыгрышей.",
      join: "Участвовать", joined: "Вы участвуете ✓", ends: "До {0}", participants: "Участников: {0}", prize: "Приз",
      captcha: "Ответьте, чтобы участвовать: {0}", answer: "Ответ", send: "Отправить", subscribe_first: "Подпишитесь на каналы и нажмите «Участвовать» ещё раз:",
      reserved_banner: "Бронь: {0} · {1}", hold_hint: "Цена закреплена, пока идёт таймер.", cancelled: "Бронь отменена.",
    },
  };
  const t = (key, ...args) => (T[key] ?? TEXTS.en[key] ?? key).replace(/\{(\d)\}/g, (_, i) => String(args[Number(i)]));

  // Display only: the server prices and formats; this shows minor units in the currency's scale.
  const SCALE = { BTC: 8, LTC: 8, XTR: 0, CREDIT: 0 };
  const money = (minor, currency) => {
    const s = SCALE[currency] ?? 2;
    const neg = minor < 0; let v = String(Math.abs(minor)).padStart(s + 1, "0");
    return (neg ? "-" : "") + (s ? v.slice(0, -s) + "." + v.slice(-s) : v) + " " + currency;
  };
  const when = (iso) => new Date(iso.endsWith("Z") ? iso : iso + "Z").toLocaleString(me?.language === "ru" ? "ru-RU" : "en-GB",
    { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  const mmss = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;

  /** Builds an element: el("div", { class: "x", onclick }, child, "text"). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "class") e.className = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  // ---- Telegram's back and main buttons, or the page's own outside Telegram ----
  let mainHandler = null, backHandler = null;
  const pageMain = $("page-main"), pageBack = $("page-back");
  pageMain.addEventListener("click", () => mainHandler && mainHandler());
  pageBack.addEventListener("click", () => backHandler && backHandler());
  const onMain = () => mainHandler && mainHandler();
  const onBack = () => backHandler && backHandler();
  if (inTelegram) { tg.MainButton.onClick(onMain); tg.BackButton.onClick(onBack); }

  function setMain(text, handler) {
    mainHandler = handler;
    if (inTelegram) {
      if (!text) { tg.MainButton.hide(); return; }
      tg.MainButton.setText(text); tg.MainButton.enable(); tg.MainButton.show();
    } else {
      pageMain.hidden = !text; pageMain.textContent = text || ""; pageMain.disabled = false;
      document.body.classList.toggle("page-buttons", !!text);
    }
  }
  function mainBusy(busy) {
    if (inTelegram) { if (busy) { tg.MainButton.showProgress(); tg.MainButton.disable(); } else { tg.MainButton.hideProgress(); tg.MainButton.enable(); } }
    else pageMain.disabled = busy;
  }
  function setBack(handler) {
    backHandler = handler;
    if (inTelegram) { if (handler) tg.BackButton.show(); else tg.BackButton.hide(); }
    else { pageBack.hidden = !handler; document.body.classList.toggle("has-page-back", !!handler); }
  }
  const haptic = (kind) => { try { tg && tg.HapticFeedback && tg.HapticFeedback.notificationOccurred(kind); } catch { /* optional */ } };
  const openLink = (url) => inTelegram ? tg.openLink(url) : window.open(url, "_blank", "noopener");
  const openTelegramLink = (url) => inTelegram ? tg.openTelegramLink(url) : window.open(url, "_blank", "noopener");

  function applyTheme() {
    if (!tg) return;
    const root = document.documentElement;
    for (const [k, v] of Object.entries(tg.themeParams || {})) root.style.setProperty("--tg-theme-" + k.replace(/_/g, "-"), v);
    root.classList.toggle("dark", tg.colorScheme === "dark");
    root.classList.toggle("light", tg.colorScheme !== "dark");
  }

  // ---- The API ----
  class ApiError extends Error { constructor(message, code, status) { super(message); this.code = code; this.status = status; } }
  async function api(method, path, body, retried) {
    const headers = { Authorization: "tma " + initData };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await fetch("/api/v1/app" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (r.status === 204) return null;
    const data = await r.json().catch(() => null);
    if (r.status === 401 && sandboxUser && !retried) { await sign(sandboxUser); return api(method, path, body, true); }
    if (!r.ok) throw new ApiError((data && (data.detail || data.title)) || "HTTP " + r.status, data && data.code, r.status);
    return data;
  }
  const get = (path) => api("GET", path);
  const post = (path, body) => api("POST", path, body ?? {});

  function showError(e) {
    const box = $("error");
    if (!e) { box.hidden = true; return; }
    box.textContent = e.message || String(e); box.hidden = false;
    haptic("error");
  }

  // ---- Navigation: a stack per tab; Telegram's back button pops it ----
  let stack = [];
  let timers = [];
  const clearTimers = () => { timers.forEach(clearInterval); timers = []; };
  async function render() {
    clearTimers(); showError(null); setMain(null, null);
    setBack(stack.length > 1 ? back : null);
    const view = $("view");
    const top = stack[stack.length - 1];
    const content = el("div", { "data-view": top.name });
    try { await top.draw(content); }
    catch (e) { showError(e); }
    if (stack[stack.length - 1] === top) view.replaceChildren(content);
  }
  const push = (name, draw) => { stack.push({ name, draw }); return render(); };
  const replace = (name, draw) => { stack[stack.length - 1] = { name, draw }; return render(); };
  function back() { if (stack.length > 1) { stack.pop(); render(); } }
  function tab(name) {
    for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
    stack = [{ name, draw: VIEWS[name] }];
    window.scrollTo(0, 0);
    return render();
  }

  async function refreshMe() {
    me = await get("/me");
    const b = me.balances.find((x) => x.currency === me.currency);
    $("balance-chip").textContent = money(b ? b.amountMinor : 0, me.currency);
    $("me-name").textContent = me.name;
  }
  const balanceOf = (currency) => (me.balances.find((x) => x.currency === currency) || { amountMinor: 0 }).amountMinor;

  function priceLine(p) {
    return el("div", { class: "price" },
      p.discountPercent > 0 ? el("s", {}, money(p.baseMinor, p.currency)) : null,
      el("b", {}, money(p.finalMinor, p.currency)),
      p.discountPercent > 0 ? el("span", { class: "off" }, `-${p.discountPercent}%`) : null);
  }
  const stockLine = (p) => p.stock === null || p.stock === undefined ? el("div", { class: "stock" }, t("unlimited"))
    : p.stock > 0 ? el("div", { class: "stock" }, t("in_stock", p.stock)) : el("div", { class: "stock out" }, t("sold_out"));

  // ---- Catalog ----
  const filters = { city: "", district: "", category: "", search: "" };
  let catalogData = null;
  async function catalogView(root) {
    if (!catalogData) {
      const [locations, categories] = await Promise.all([get("/catalog/locations"), get("/catalog/categories")]);
      catalogData = { locations, categories };
    }
    const { locations, categories } = catalogData;
    const city = el("select", { id: "f-city", "aria-label": t("all_cities") }, el("option", { value: "" }, t("all_cities")),
      locations.map((c) => el("option", { value: c.id, selected: String(c.id) === filters.city }, c.name)));
    const districtsOf = () => (locations.find((c) => String(c.id) === filters.city) || { districts: [] }).districts;
    const district = el("select", { id: "f-district", "aria-label": t("all_districts") });
    const fillDistricts = () => {
      const ds = districtsOf();
      district.replaceChildren(el("option", { value: "" }, t("all_districts")),
        ...ds.map((d) => el("option", { value: d.id, selected: String(d.id) === filters.district }, d.name)));
      district.disabled = ds.length === 0;
    };
    fillDistricts();
    const category = el("select", { id: "f-category", "aria-label": t("all_categories") }, el("option", { value: "" }, t("all_categories")),
      categories.map((c) => el("option", { value: c.id, selected: String(c.id) === filters.category }, c.name)));
    const search = el("input", { id: "f-search", class: "search", type: "search", placeholder: t("search"), value: filters.search, enterkeyhint: "search" });
    const list = el("div", { id: "products" });
    const holds = el("div", { id: "holds" });
    let page = 1, loadSeq = 0;

    async function load(reset) {
      const seq = ++loadSeq;
      if (reset) page = 1;
      const q = new URLSearchParams({ page, pageSize: 20 });
      for (const k of ["city", "district", "category", "search"]) if (filters[k]) q.set(k, filters[k].trim());
      const data = await get("/products?" + q);
      if (seq !== loadSeq) return;
      const grid = reset || !list.querySelector(".grid") ? el("div", { class: "grid" }) : list.querySelector(".grid");
      for (const p of data.items) grid.append(productCard(p));
      list.replaceChildren(data.total === 0 ? el("div", { class: "empty" }, t("no_products")) : grid);
      if (page * data.pageSize < data.total)
        list.append(el("button", { type: "button", class: "secondary wide more", onclick: () => { page++; load(false).catch(showError); } }, t("more")));
    }
    const reload = () => load(true).catch(showError);
    city.addEventListener("change", () => { filters.city = city.value; filters.district = ""; fillDistricts(); reload(); });
    district.addEventListener("change", () => { filters.district = district.value; reload(); });
    category.addEventListener("change", () => { filters.category = category.value; reload(); });
    let debounce = 0;
    search.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(() => { filters.search = search.value; reload(); }, 300); });

    root.append(holds, el("div", { class: "filters" }, city, district, category, search), list);
    await Promise.all([load(true), drawHolds(holds)]);
  }

  async function drawHolds(box) {
    const mine = await get("/reservations");
    box.replaceChildren(...mine.map((r) => {
      const label = el("span", {}, t("reserved_banner", r.productName, mmss(r.secondsLeft)));
      tick(r.secondsLeft, (s) => { label.textContent = t("reserved_banner", r.productName, mmss(s)); });
      return el("button", { type: "button", class: "secondary wide hold-banner", style: "margin-bottom:10px",
        onclick: () => push("hold", (root) => holdView(root, r.id)) }, label);
    }));
  }

  /** Counts down from seconds, calling back each second until zero. */
  function tick(seconds, each) {
    const end = Date.now() + seconds * 1000;
    const id = setInterval(() => {
      const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      each(left);
      if (left === 0) clearInterval(id);
    }, 1000);
    timers.push(id);
  }

  function photoOf(p, cls) {
    return p.photos && p.photos.length ? el("img", { class: cls, src: p.photos[0], alt: "", loading: "lazy" }) : el("div", { class: "noimg" }, "🛍");
  }
  function productCard(p) {
    return el("button", { type: "button", class: "product", "data-product": p.id, onclick: () => push("product", (root) => productView(root, p.id)) },
      photoOf(p, "photo"),
      el("div", { class: "body" }, el("div", { class: "name" }, p.name), priceLine(p.price), stockLine(p)));
  }

  async function productView(root, id) {
    const [p, holds] = await Promise.all([get("/products/" + id), get("/reservations")]);
    const held = holds.find((r) => r.productId === id);
    const card = el("div", { class: "card detail" },
      p.photos.length ? el("div", { class: "gallery" }, p.photos.map((src) => el("img", { src, alt: "" }))) : null,
      el("h1", {}, p.name), priceLine(p.price), stockLine(p),
      p.description ? el("p", { class: "desc" }, p.description) : null);
    root.append(card);
    if (held) setMain(t("continue_hold"), () => replace("hold", (r) => holdView(r, held.id)));
    else if (p.inStock) setMain(t("reserve"), async () => {
      mainBusy(true);
      try {
        const r = await post("/reservations", { productId: id });
        haptic("success");
        await replace("hold", (rr) => holdView(rr, r.id));
      } catch (e) { mainBusy(false); showError(e); }
    });
  }

  async function holdView(root, id) {
    const r = (await get("/reservations")).find((x) => x.id === id);
    if (!r) { root.append(el("div", { class: "empty" }, t("expired"))); return; }
    await refreshMe();
    const counter = el("div", { class: "countdown", id: "countdown" }, mmss(r.secondsLeft));
    const balance = balanceOf(r.currency);
    const card = el("div", { class: "card hold" },
      el("div", { class: "hint" }, t("held")), el("h1", {}, r.productName), counter,
      el("div", { class: "hint", style: "text-align:center" }, t("hold_hint")),
      el("div", { class: "line" }, el("span", {}, t("price")), el("span", { class: "price" },
        r.discountPercent > 0 ? el("s", {}, money(r.originalPriceMinor, r.currency)) : null, el("b", {}, r.finalPrice))),
      el("div", { class: "line" }, el("span", {}, t("your_balance")), el("span", { id: "hold-balance" }, money(balance, r.currency))));
    const actions = el("div", { class: "stack", style: "margin-top:10px" });
    if (r.stars) actions.append(el("button", { type: "button", class: "secondary wide", id: "pay-stars", onclick: () => payStars(r) }, t("pay_stars", r.stars)));
    if (balance < r.finalPriceMinor) {
      card.append(el("p", { class: "hint" }, t("not_enough")));
      actions.append(el("button", { type: "button", class: "secondary wide", onclick: () => tab("wallet") }, t("top_up")));
    }
    actions.append(el("button", { type: "button", class: "secondary danger wide", id: "cancel-hold", onclick: async () => {
      try { await post(`/reservations/${r.id}/cancel`); back(); } catch (e) { showError(e); }
    } }, t("cancel")));
    root.append(card, actions);
    tick(r.secondsLeft, (s) => {
      counter.textContent = mmss(s);
      counter.classList.toggle("low", s < 60);
      if (s === 0) { setMain(null, null); showError(new Error(t("expired"))); }
    });
    setMain(t("pay_wallet", r.finalPrice), async () => {
      mainBusy(true);
      try {
        const order = await post(`/reservations/${r.id}/confirm`);
        haptic("success");
        await refreshMe();
        await replace("order", (rr) => orderPaidView(rr, order));
      } catch (e) { mainBusy(false); showError(e); }
    });
  }

  async function payStars(r) {
    try {
      const inv = await post(`/reservations/${r.id}/stars`);
      if (!inTelegram || !tg.openInvoice) { showError(new Error(t("invoice_in_telegram"))); return; }
      tg.openInvoice(inv.invoiceLink, async (status) => {
        if (status !== "paid") return;
        // Telegram confirms to the bot; the payment model completes the order once. Wait for it to land.
        for (let i = 0; i < 20; i++) {
          const orders = await get("/orders");
          const o = orders.find((x) => x.reservationId === r.id);
          if (o) { haptic("success"); await refreshMe(); await replace("order", (rr) => orderPaidView(rr, o)); return; }
          await new Promise((res) => setTimeout(res, 1000));
        }
        tab("orders");
      });
    } catch (e) { showError(e); }
  }

  function orderPaidView(root, order) {
    root.append(el("div", { class: "ok-note", id: "order-paid" }, t("order_paid", order.id)), orderCard(order));
    setMain(t("your_orders"), () => tab("orders"));
  }

  // ---- Orders ----
  function delivery(u) {
    if (!u) return null;
    const mapUrl = u.latitude != null && u.longitude != null ? `https://www.openstreetmap.org/?mlat=${u.latitude}&mlon=${u.longitude}#map=17/${u.latitude}/${u.longitude}` : null;
    return el("div", { class: "delivery" },
      el("div", { class: "hint" }, t("delivery")),
      u.secret ? el("code", { class: "secret" }, u.secret) : null,
      u.details ? el("div", {}, u.details) : null,
      u.address ? el("div", {}, u.address) : null,
      u.fileUrl ? el("div", {}, el("a", { href: u.fileUrl, onclick: (e) => { e.preventDefault(); openLink(u.fileUrl); } }, t("open_file"))) : null,
      mapUrl ? el("div", {}, el("a", { href: mapUrl, onclick: (e) => { e.preventDefault(); openLink(mapUrl); } }, t("open_map"))) : null,
      u.photoUrl && u.photoUrl.startsWith("https://") ? el("img", { src: u.photoUrl, alt: "" }) : null);
  }
  function orderCard(o) {
    return el("div", { class: "card order", "data-order": o.id },
      el("div", { class: "head" }, el("span", {}, `#${o.id} · ${o.productName}`), el("span", { class: "status" }, o.status.toUpperCase())),
      el("div", { class: "price" }, o.discountPercent > 0 ? el("s", {}, money(o.originalPriceMinor, o.currency)) : null,
        el("b", {}, money(o.finalPriceMinor, o.currency))),
      el("div", { class: "hint" }, when(o.createdAt), " · ", t("paid_with", o.paidWith)),
      delivery(o.delivery));
  }
  async function ordersView(root) {
    const orders = await get("/orders");
    root.append(el("h1", {}, t("your_orders")), ...(orders.length ? orders.map(orderCard) : [el("div", { class: "empty" }, t("no_orders"))]));
  }

  // ---- Wallet ----
  async function walletView(root) {
    await refreshMe();
    const list = me.balances.length ? me.balances : [{ currency: me.currency, amountMinor: 0 }];
    root.append(el("div", { class: "card" }, el("div", { class: "hint" }, t("balances")),
      list.map((b) => el("div", { class: "balance", "data-currency": b.currency }, money(b.amountMinor, b.currency)))));
    if (!me.topUpMethods.length) return;
    const amount = el("input", { id: "topup-amount", type: "number", inputmode: "decimal", min: "0", step: "any", value: "10" });
    const result = el("div", { id: "topup-result" });
    const names = { stars: "⭐ Stars", stripe: "💳 Card", robokassa: "💳 Robokassa", btc: "₿ Bitcoin", ltc: "Ł Litecoin" };
    root.append(el("div", { class: "card stack" }, el("h2", {}, t("top_up")),
      el("label", { for: "topup-amount", class: "hint" }, `${t("amount")}, ${me.currency}`), amount,
      el("div", { class: "hint" }, t("top_up_with")),
      el("div", { class: "methods" }, me.topUpMethods.map((m) => el("button", { type: "button", class: "secondary", "data-method": m,
        onclick: () => topUp(m, amount.value, result) }, names[m] || m))), result));
  }
  async function topUp(method, amount, box) {
    showError(null);
    try {
      const p = await post("/wallet/topup", { method, amount: Number(amount), currency: me.currency });
      if (method === "stars") {
        if (!inTelegram || !tg.openInvoice) { box.replaceChildren(el("p", { class: "hint" }, t("invoice_in_telegram"))); return; }
        tg.openInvoice(p.payUrl, async (status) => {
          if (status !== "paid") return;
          for (let i = 0; i < 20; i++) {
            const now = await get("/payments/" + p.id);
            if (now.status === "COMPLETED") { haptic("success"); await render(); $("view").prepend(el("div", { class: "ok-note" }, t("payment_done"))); return; }
            await new Promise((res) => setTimeout(res, 1000));
          }
        });
      } else if (p.crypto) {
        box.replaceChildren(el("p", {}, t("pay_here", p.crypto.amount, p.crypto.coin.toUpperCase())), el("div", { class: "reflink" }, p.crypto.address),
          el("img", { src: p.crypto.qrUrl, alt: "", style: "max-width:180px;display:block;margin:8px auto" }));
      } else if (p.payUrl) {
        openLink(p.payUrl);
        box.replaceChildren(el("a", { href: p.payUrl, onclick: (e) => { e.preventDefault(); openLink(p.payUrl); } }, t("open_payment")));
      } else if (p.instructions) box.replaceChildren(el("p", { class: "desc" }, p.instructions));
    } catch (e) { showError(e); }
  }

  // ---- Friends (referral link) ----
  async function friendsView(root) {
    const r = await get("/referral");
    const link = r.link || "";
    root.append(el("div", { class: "card stack" }, el("h1", {}, t("referral")), el("p", { class: "hint" }, t("referral_text")),
      link ? el("div", { class: "reflink", id: "ref-link" }, link) : null,
      el("div", { class: "line" }, el("span", {}, t("invited")), el("span", {}, r.invited)),
      el("div", { class: "line" }, el("span", {}, t("active")), el("span", {}, r.active)),
      el("div", { class: "line" }, el("span", {}, t("earned")), el("span", {}, money(r.earnedMinor, r.currency))),
      link ? el("div", { class: "row" },
        el("button", { type: "button", class: "secondary", onclick: async (e) => {
          try { await navigator.clipboard.writeText(link); e.target.textContent = t("copied"); } catch { /* no clipboard: the link is selectable */ }
        } }, t("copy"))) : null));
    if (link) setMain(t("share"), () => openTelegramLink(
      "https://t.me/share/url?url=" + encodeURIComponent(link) + "&text=" + encodeURIComponent(t("share_text"))));
  }

  // ---- Giveaways ----
  async function giveawaysView(root) {
    const list = await get("/giveaways");
    root.append(el("h1", {}, t("giveaways")));
    if (!list.length) { root.append(el("div", { class: "empty" }, t("no_giveaways"))); return; }
    for (const g of list) {
      const status = el("div", { class: "join-status" });
      const joinButton = el("button", { type: "button", class: "primary wide", onclick: () => join(g, status, joinButton) }, t("join"));
      root.append(el("div", { class: "card giveaway stack", "data-giveaway": g.id },
        g.photoUrl ? el("img", { src: g.photoUrl, alt: "" }) : null,
        el("h2", {}, g.title), g.description ? el("p", { class: "desc" }, g.description) : null,
        el("div", { class: "line" }, el("span", {}, t("prize")), el("span", {}, g.prize)),
        el("div", { class: "hint" }, t("ends", when(g.endsAt)), " · ", t("participants", g.participants)),
        g.joined ? el("div", { class: "joined" }, t("joined")) : joinButton, status));
    }
  }
  function joinAnswer(g, a, status, button) {
    if (a.status === "joined" || a.status === "already_participating") {
      haptic("success"); button.replaceWith(el("div", { class: "joined" }, t("joined"))); status.replaceChildren(); return;
    }
    if (a.status === "captcha") {
      const input = el("input", { type: "text", inputmode: "numeric", placeholder: t("answer"), "aria-label": t("answer") });
      const send = async () => {
        try { joinAnswer(g, await post("/giveaways/captcha", { sessionId: a.sessionId, answer: input.value }), status, button); }
        catch (e) { showError(e); }
      };
      status.replaceChildren(el("p", {}, t("captcha", a.captchaQuestion)),
        el("div", { class: "row" }, input, el("button", { type: "button", class: "primary", onclick: send }, t("send"))));
      input.focus();
      return;
    }
    if (a.status === "not_subscribed") {
      status.replaceChildren(el("p", { class: "hint" }, t("subscribe_first")), ...(a.missingChannels || []).map((c) => el("div", {},
        c.link ? el("a", { href: c.link, onclick: (e) => { e.preventDefault(); openTelegramLink(c.link); } }, c.title) : c.title)));
    }
  }
  async function join(g, status, button) {
    showError(null);
    try { joinAnswer(g, await post(`/giveaways/${g.id}/join`), status, button); } catch (e) { showError(e); }
  }

  const VIEWS = { catalog: catalogView, orders: ordersView, wallet: walletView, giveaways: giveawaysView, friends: friendsView };

  // ---- Start ----
  function translatePage() {
    for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  }
  async function start() {
    await refreshMe();
    T = TEXTS[me.language] || TEXTS.en;
    document.documentElement.lang = me.language;
    translatePage();
    $("loading").hidden = true; $("outside").hidden = true; $("app").hidden = false;
    $("sandbox-badge").hidden = !sandboxUser;
    for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => tab(b.dataset.tab));
    $("balance-chip").addEventListener("click", () => tab("wallet"));
    const startTab = (tg && tg.initDataUnsafe && tg.initDataUnsafe.start_param) || new URLSearchParams(location.search).get("tab");
    await tab(VIEWS[startTab] ? startTab : "catalog");
  }

  async function sign(userId) {
    const r = await fetch("/api/v1/app/sandbox/sign", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ userId }) });
    if (!r.ok) throw new Error("The sandbox did not sign: HTTP " + r.status);
    initData = (await r.json()).initData;
    sandboxUser = userId;
  }

  async function outside() {
    const lang = (navigator.language || "en").slice(0, 2);
    T = TEXTS[lang] || TEXTS.en;
    translatePage();
    const bot = document.querySelector("meta[name=bazaar-bot]").content;
    if (/^[A-Za-z0-9_]{3,}$/.test(bot)) { const a = $("open-bot"); a.href = "https://t.me/" + bot; a.hidden = false; }
    let info = null;
    try { const r = await fetch("/api/v1/app/sandbox"); if (r.ok) info = await r.json(); } catch { /* no sandbox */ }
    if (info && info.enabled) {
      const chosen = Number(new URLSearchParams(location.search).get("sandbox_user") || sessionStorage.getItem("bazaar.sandbox_user") || 0);
      if (chosen > 0) {
        sessionStorage.setItem("bazaar.sandbox_user", String(chosen));
        await sign(chosen);
        await start();
        return;
      }
      $("sandbox").hidden = false;
      $("sandbox-users").replaceChildren(...info.users.map((u) => el("button", { type: "button", class: "secondary", onclick: async () => {
        sessionStorage.setItem("bazaar.sandbox_user", String(u.id));
        await sign(u.id); await start();
      } }, `${u.firstName} · ${u.id}`)));
    }
    $("loading").hidden = true; $("outside").hidden = false;
  }

  async function boot() {
    if (tg) { applyTheme(); if (tg.onEvent) tg.onEvent("themeChanged", applyTheme); }
    try {
      if (inTelegram) {
        initData = tg.initData;
        tg.ready(); if (tg.expand) tg.expand();
        await start();
      } else await outside();
    } catch (e) {
      $("loading").hidden = true;
      if (!inTelegram && e instanceof ApiError && e.status === 401) { await outside().catch(() => {}); return; }
      $("app").hidden = false; showError(e);
    }
  }
  boot();
})();
