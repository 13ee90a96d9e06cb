using System.Globalization;
using System.Net;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Shop;

/// <summary>
/// The shop in the bot: /shop → city → district → category → paged list → card → Buy → Confirm / Cancel (or Stars,
/// card), /orders, and the admins' /inventory and /set_discount. Every screen has Back. Pricing, reserving and
/// buying are the shared services; this class only draws screens.
/// </summary>
public sealed class ShopBot(BazaarDb db, Reservations reservations, Purchase purchase, Entitlements entitlements, ShopDelivery delivery,
    Ledger ledger, PaymentCreator paymentCreator, StarsPayments stars, JobQueue jobs, BotPipeline pipeline,
    IOptions<ShopOptions> options, IOptions<PaymentsOptions> paymentOptions, MiniApp.MiniAppLinks miniApp)
{
    public const string Prefix = "shop:";
    public const string HomeCallback = "shop:home";
    public const string BuyPrefix = "shop:b:";
    public const string AddUnitsStep = "shop.add_units";
    public const string DiscountStep = "shop.discount";

    public sealed record ProductRef(long ProductId);

    private ShopOptions O => options.Value;
    private static string H(string? s) => WebUtility.HtmlEncode(s ?? "");
    private static string F(BotContext ctx, Localized t, params object?[] args) => string.Format(CultureInfo.InvariantCulture, ctx.T(t), args);
    private static InlineKeyboardButton Btn(string text, string data) => InlineKeyboardButton.WithCallbackData(text, data);
    private static long L(string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
    private static string Time(DateTime t) => t.ToString("HH:mm", CultureInfo.InvariantCulture);

    public static void Register(BotRoutes r) => r
        .Command<ShopBot>("shop", (bot, ctx) => bot.ShowAsync(ctx), ShopTexts.ShopCommand)
        .Command<ShopBot>("orders", (bot, ctx) => bot.OrdersAsync(ctx), ShopTexts.OrdersCommand)
        .Command<ShopBot>("inventory", (bot, ctx) => bot.InventoryAsync(ctx), hidden: true)
        .Command<ShopBot>("set_discount", (bot, ctx) => bot.SetDiscountAsync(ctx), hidden: true)
        .Command<ShopBot>("vip", (bot, ctx) => bot.RequireEntitlementAsync(ctx, "vip", e => bot.VipAsync(ctx, e)), ShopTexts.VipCommand)
        .MenuButton(ShopTexts.ShopButton, HomeCallback)
        .Callback<ShopBot>(Prefix, (bot, ctx) => bot.OnButtonAsync(ctx))
        .Step<ShopBot>(AddUnitsStep, (bot, ctx) => bot.UnitsEnteredAsync(ctx))
        .Step<ShopBot>(DiscountStep, (bot, ctx) => bot.PercentEnteredAsync(ctx));

    public async Task OnButtonAsync(BotContext ctx)
    {
        var parts = ctx.CallbackData!.Split(':');
        var a = parts.Length > 1 ? parts[1] : "";
        long P(int i) => parts.Length > i ? L(parts[i]) : 0;
        switch (a)
        {
            case "home": await ShowAsync(ctx); break;
            case "c": await CityAsync(ctx, P(2)); break;
            case "g": await CategoriesAsync(ctx, P(2)); break;
            case "l": await ListAsync(ctx, P(2), P(3), (int)P(4), parts.Length > 5); break;
            case "p": await CardAsync(ctx, P(2), P(3), P(4), (int)P(5)); break;
            case "b": await BuyAsync(ctx, P(2)); break;
            case "ok": await ConfirmAsync(ctx, P(2)); break;
            case "x": await CancelAsync(ctx, P(2)); break;
            case "st": await PayStarsAsync(ctx, P(2)); break;
            case "sp": await PayCardAsync(ctx, P(2)); break;
            case "cr": await PayCryptoAsync(ctx, P(2), parts.Length > 3 ? parts[3] : ""); break;
            case "o": await ShowOrderAsync(ctx, P(2)); break;
            case "inv": await AskUnitsAsync(ctx, P(2)); break;
            case "disc": await AskPercentAsync(ctx, P(2)); break;
            default: ctx.AnswerCallback(); break;
        }
    }

    // Browsing

    private void Show(BotContext ctx, string text, InlineKeyboardMarkup keyboard, bool reply = false)
    {
        ctx.AnswerCallback();
        if (reply || ctx.CallbackData is null) ctx.Reply(text, keyboard);
        else ctx.EditOrReply(text, keyboard);
    }

    /// <summary>/shop and the menu's Shop button: cities, or categories when the shop has no locations.</summary>
    public async Task ShowAsync(BotContext ctx)
    {
        var cities = await db.ShopLocations.AsNoTracking().Where(l => l.ParentId == null).OrderBy(l => l.Position).ThenBy(l => l.Name).ToListAsync(ctx.CancellationToken);
        if (cities.Count == 0)
        {
            await CategoriesAsync(ctx, 0);
            return;
        }
        var rows = cities.Select(c => new[] { Btn(c.Name, $"shop:c:{c.Id}") }).ToList();
        AddOpenShop(ctx, rows);
        Show(ctx, ctx.T(ShopTexts.ChooseCity), new InlineKeyboardMarkup(rows));
    }

    /// <summary>The Mini App beside the chat flow, on the shop's first screen, where the chat can open one.</summary>
    private void AddOpenShop(BotContext ctx, List<InlineKeyboardButton[]> rows)
    {
        if (miniApp.ForChat(ctx.Channel, ctx.User.ExternalId) is { } url)
            rows.Insert(0, [InlineKeyboardButton.WithWebApp(ctx.T(MiniApp.MiniAppTexts.OpenShop), new Telegram.Bot.Types.WebAppInfo { Url = url })]);
    }

    private async Task CityAsync(BotContext ctx, long cityId)
    {
        var city = await db.ShopLocations.AsNoTracking().FirstOrDefaultAsync(l => l.Id == cityId, ctx.CancellationToken);
        if (city is null) { await ShowAsync(ctx); return; }
        var districts = await db.ShopLocations.AsNoTracking().Where(l => l.ParentId == cityId).OrderBy(l => l.Position).ThenBy(l => l.Name).ToListAsync(ctx.CancellationToken);
        if (districts.Count == 0) { await CategoriesAsync(ctx, cityId); return; }
        var rows = districts.Select(d => new[] { Btn(d.Name, $"shop:g:{d.Id}") }).ToList();
        rows.Add([Btn(ctx.T(ShopTexts.Back), HomeCallback)]);
        Show(ctx, F(ctx, ShopTexts.ChooseDistrict, H(city.Name)), new InlineKeyboardMarkup(rows));
    }

    private async Task<string> BackFromCategories(long loc, CancellationToken ct)
    {
        if (loc == 0) return HomeCallback;
        var parent = await db.ShopLocations.AsNoTracking().Where(l => l.Id == loc).Select(l => l.ParentId).FirstOrDefaultAsync(ct);
        return parent is null ? HomeCallback : $"shop:c:{parent}";
    }

    private async Task CategoriesAsync(BotContext ctx, long loc)
    {
        var cats = await db.ShopCategories.AsNoTracking().OrderBy(c => c.Position).ThenBy(c => c.Name).ToListAsync(ctx.CancellationToken);
        if (cats.Count == 0) { await ListAsync(ctx, loc, 0, 1, false); return; }
        var rows = cats.Select(c => new[] { Btn(c.Name, $"shop:l:{loc}:{c.Id}:1") }).ToList();
        rows.Add([Btn(ctx.T(ShopTexts.AllCategories), $"shop:l:{loc}:0:1")]);
        var back = await BackFromCategories(loc, ctx.CancellationToken);
        if (back != HomeCallback || loc != 0 || await db.ShopLocations.AnyAsync(ctx.CancellationToken)) rows.Add([Btn(ctx.T(ShopTexts.Back), back)]);
        else AddOpenShop(ctx, rows); // the shop's first screen when it has no locations
        Show(ctx, ctx.T(ShopTexts.ChooseCategory), new InlineKeyboardMarkup(rows));
    }

    private async Task ListAsync(BotContext ctx, long loc, long cat, int page, bool reply)
    {
        var ct = ctx.CancellationToken;
        var now = ctx.Now;
        var q = await CatalogQueries.FilterAsync(db, db.Products.AsNoTracking().Where(p => p.IsActive), loc, cat, ct);
        var total = await q.CountAsync(ct);
        var size = Math.Max(1, O.PageSize);
        var pages = Math.Max(1, (total + size - 1) / size);
        page = Math.Clamp(page, 1, pages);
        var items = await q.OrderBy(p => p.Name).ThenBy(p => p.Id).Skip((page - 1) * size).Take(size)
            .Select(p => new { P = p, Free = db.StockUnits.Count(u => u.ProductId == p.Id && (u.Status == UnitStatus.Available || (u.Status == UnitStatus.Reserved && u.HeldUntil <= now))) })
            .ToListAsync(ct);
        var rows = new List<InlineKeyboardButton[]>();
        foreach (var i in items)
        {
            var price = Pricing.For(i.P, O.Currency, now);
            var label = $"{i.P.Name} · {Pricing.Format(price.Final, price.Currency)}" + (price.Discounted ? $" -{price.DiscountPercent}%" : "")
                + (ProductKind.HasStock(i.P.Kind) && i.Free == 0 ? $" ({ctx.T(ShopTexts.SoldOutTag)})" : "");
            rows.Add([Btn(label, $"shop:p:{i.P.Id}:{loc}:{cat}:{page}")]);
        }
        var nav = new List<InlineKeyboardButton>();
        if (page > 1) nav.Add(Btn(ctx.T(ShopTexts.Prev), $"shop:l:{loc}:{cat}:{page - 1}"));
        if (page < pages) nav.Add(Btn(ctx.T(ShopTexts.Next), $"shop:l:{loc}:{cat}:{page + 1}"));
        if (nav.Count > 0) rows.Add([.. nav]);
        rows.Add([Btn(ctx.T(ShopTexts.Back), await db.ShopCategories.AnyAsync(ct) ? $"shop:g:{loc}" : await BackFromCategories(loc, ct))]);
        var title = cat == 0 ? ctx.T(ShopTexts.AllCategories)
            : await db.ShopCategories.Where(c => c.Id == cat).Select(c => c.Name).FirstOrDefaultAsync(ct) ?? "";
        var text = total == 0 ? ctx.T(ShopTexts.NoProducts) : F(ctx, ShopTexts.ProductList, H(title), page, pages);
        Show(ctx, text, new InlineKeyboardMarkup(rows), reply);
    }

    /// <summary>The price line: the old price struck through, the new one and "-N%" while a discount runs.</summary>
    public static string PriceLine(Price p) => p.Discounted
        ? $"<s>{Pricing.Format(p.Base, p.Currency)}</s> <b>{Pricing.Format(p.Final, p.Currency)}</b> -{p.DiscountPercent}%"
        : $"<b>{Pricing.Format(p.Final, p.Currency)}</b>";

    private async Task CardAsync(BotContext ctx, long productId, long loc, long cat, int page)
    {
        var ct = ctx.CancellationToken;
        var p = await db.Products.AsNoTracking().FirstOrDefaultAsync(x => x.Id == productId && x.IsActive, ct);
        if (p is null) { ctx.AnswerCallback(ctx.T(ShopTexts.NotFound), alert: true); return; }
        var now = ctx.Now;
        var price = Pricing.For(p, O.Currency, now);
        var text = $"<b>{H(p.Name)}</b>\n\n{H(p.Description)}\n\n{PriceLine(price)}\n";
        var rows = new List<InlineKeyboardButton[]>();
        var held = await db.Reservations.AsNoTracking()
            .Where(r => r.UserId == ctx.User.Id && r.ProductId == p.Id && r.Status == ReservationStatus.Active && r.ExpiresAt > now)
            .OrderBy(r => r.Id).FirstOrDefaultAsync(ct);
        if (ProductKind.HasStock(p.Kind))
        {
            var free = await reservations.FreeStockAsync(p.Id, ct);
            text += free > 0 ? F(ctx, ShopTexts.InStock, free) : ctx.T(ShopTexts.SoldOut);
            if (free > 0 && held is null) rows.Add([Btn(ctx.T(ShopTexts.Buy), BuyPrefix + p.Id)]);
        }
        else
        {
            text += p.Kind == ProductKind.Subscription ? F(ctx, ShopTexts.Days, p.SubscriptionDays ?? 30)
                : p.Kind == ProductKind.CreditPack ? F(ctx, ShopTexts.CreditsLine, p.Credits ?? 0) : ctx.T(ShopTexts.Unlimited);
            if (held is null) rows.Add([Btn(ctx.T(ShopTexts.Buy), BuyPrefix + p.Id)]);
        }
        if (held is not null)
        {
            text += "\n\n" + HeldLine(ctx, p, held, await ledger.BalanceAsync(ctx.User.Id, held.Currency, ct));
            rows.AddRange(PayRows(ctx, held));
        }
        rows.Add([Btn(ctx.T(ShopTexts.Back), $"shop:l:{loc}:{cat}:{page}:r")]);
        var keyboard = new InlineKeyboardMarkup(rows);
        ctx.AnswerCallback();
        var photo = await delivery.FirstPhotoAsync(p.Id, ct);
        if (photo?.Content is { } bytes) ctx.Outbox.SendPhoto(ctx.Chat, $"product-{p.Id}.png", bytes, text, keyboard);
        else if (!string.IsNullOrWhiteSpace(photo?.Url)) ctx.Outbox.SendPhoto(ctx.Chat, photo.Url, text, keyboard);
        else ctx.EditOrReply(text, keyboard);
    }

    /// <summary>The hold with the time left, its price and the wallet balance.</summary>
    private string HeldLine(BotContext ctx, Product p, Reservation r, long balance)
    {
        var minutes = Math.Max(1, (int)Math.Ceiling((r.ExpiresAt - ctx.Now).TotalMinutes));
        return F(ctx, ShopTexts.Reserved, H(p.Name), minutes, Time(r.ExpiresAt), Pricing.Format(r.FinalPrice, r.Currency), Pricing.Format(balance, r.Currency));
    }

    private List<InlineKeyboardButton[]> PayRows(BotContext ctx, Reservation r)
    {
        var rows = new List<InlineKeyboardButton[]> { new[] { Btn(F(ctx, ShopTexts.Confirm, Pricing.Format(r.FinalPrice, r.Currency)), $"shop:ok:{r.Id}") } };
        var po = paymentOptions.Value;
        if (po.IsEnabled(PaymentMethod.Stars) && ctx.Channel == ChatChannel.Telegram && r.FinalPrice > 0)
            rows.Add([Btn(F(ctx, ShopTexts.PayStars, stars.StarsFor(r.FinalPrice, r.Currency)), $"shop:st:{r.Id}")]);
        if (po.IsEnabled(PaymentMethod.Stripe) && Currencies.Scale(r.Currency) == 2 && r.FinalPrice > 0)
            rows.Add([Btn(ctx.T(ShopTexts.PayCard), $"shop:sp:{r.Id}")]);
        foreach (var coin in new[] { PaymentMethod.Btc, PaymentMethod.Ltc })
            if (po.IsEnabled(coin) && r.FinalPrice > 0)
                rows.Add([Btn(F(ctx, ShopTexts.PayCrypto, PaymentCreator.CoinCode(coin)), $"shop:cr:{r.Id}:{coin.WireName()}")]);
        rows.Add([Btn(ctx.T(ShopTexts.Cancel), $"shop:x:{r.Id}")]);
        return rows;
    }

    // Buying

    private async Task BuyAsync(BotContext ctx, long productId)
    {
        var ct = ctx.CancellationToken;
        var result = await reservations.ReserveAsync(ctx.User.Id, productId, ct);
        if (result.Reservation is not { } r)
        {
            ctx.AnswerCallback(result.Error switch
            {
                ShopErrors.SoldOut => ctx.T(ShopTexts.JustSold),
                ShopErrors.TooManyReservations => F(ctx, ShopTexts.TooMany, O.MaxActiveReservations),
                _ => ctx.T(ShopTexts.NotFound),
            }, alert: true);
            return;
        }
        var p = await db.Products.AsNoTracking().FirstAsync(x => x.Id == productId, ct);
        var balance = await ledger.BalanceAsync(ctx.User.Id, r.Currency, ct);
        ctx.AnswerCallback();
        ctx.Reply(HeldLine(ctx, p, r, balance), new InlineKeyboardMarkup(PayRows(ctx, r)));
    }

    private async Task ConfirmAsync(BotContext ctx, long reservationId)
    {
        var ct = ctx.CancellationToken;
        var result = await purchase.ConfirmAsync(ctx.User.Id, reservationId, ct);
        if (result.Ok)
        {
            ctx.AnswerCallback();
            ctx.EditOrReply(F(ctx, ShopTexts.OrderPaid, result.Order!.Id, H(result.Order.ProductName), Pricing.Format(result.Order.FinalPrice, result.Order.Currency)));
            return;
        }
        if (result.AlreadyPurchased && result.Order is not null)
        {
            ctx.AnswerCallback(F(ctx, ShopTexts.AlreadyBought, result.Order.Id), alert: true);
            return;
        }
        switch (result.Error)
        {
            case ShopErrors.InsufficientFunds:
            {
                var r = await db.Reservations.AsNoTracking().FirstAsync(x => x.Id == reservationId, ct);
                var balance = await ledger.BalanceAsync(ctx.User.Id, r.Currency, ct);
                ctx.AnswerCallback();
                ctx.Reply(F(ctx, ShopTexts.Insufficient, Pricing.Format(r.FinalPrice, r.Currency), Pricing.Format(balance, r.Currency), Time(r.ExpiresAt)),
                    new InlineKeyboardMarkup([
                        [Btn(ctx.T(ShopTexts.TopUp), WalletScreens.DepositCallback)],
                        [Btn(F(ctx, ShopTexts.Confirm, Pricing.Format(r.FinalPrice, r.Currency)), $"shop:ok:{r.Id}")],
                        [Btn(ctx.T(ShopTexts.Cancel), $"shop:x:{r.Id}")],
                    ]));
                break;
            }
            case ShopErrors.SoldOut:
                ctx.AnswerCallback();
                ctx.EditOrReply(ctx.T(ShopTexts.JustSold), new InlineKeyboardMarkup(Btn(ctx.T(ShopTexts.Back), HomeCallback)));
                break;
            default:
                ctx.AnswerCallback();
                ctx.EditOrReply(ctx.T(ShopTexts.Expired), new InlineKeyboardMarkup(Btn(ctx.T(ShopTexts.Back), HomeCallback)));
                break;
        }
    }

    private async Task CancelAsync(BotContext ctx, long reservationId)
    {
        var ok = await reservations.CancelAsync(ctx.User.Id, reservationId, ctx.CancellationToken);
        ctx.AnswerCallback();
        ctx.EditOrReply(ctx.T(ok ? ShopTexts.Cancelled : ShopTexts.Expired), new InlineKeyboardMarkup(Btn(ctx.T(ShopTexts.Back), HomeCallback)));
    }

    private async Task<Reservation?> HeldAsync(BotContext ctx, long reservationId)
    {
        var now = ctx.Now;
        var r = await db.Reservations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == reservationId && x.UserId == ctx.User.Id
            && x.Status == ReservationStatus.Active && x.ExpiresAt > now, ctx.CancellationToken);
        if (r is null)
        {
            ctx.AnswerCallback();
            ctx.EditOrReply(ctx.T(ShopTexts.Expired), new InlineKeyboardMarkup(Btn(ctx.T(ShopTexts.Back), HomeCallback)));
        }
        return r;
    }

    /// <summary>A Stars invoice for the held price, quoted now and valid until the hold ends (the pre-checkout refuses it after).</summary>
    private async Task PayStarsAsync(BotContext ctx, long reservationId)
    {
        if (await HeldAsync(ctx, reservationId) is not { } r) return;
        var ct = ctx.CancellationToken;
        var (p, error) = await paymentCreator.CreatePendingAsync(new CreatePaymentRequest(ctx.User.Id, PaymentMethod.Stars.WireName(), "order",
            r.Id.ToString(CultureInfo.InvariantCulture), Currencies.ToMajor(r.FinalPrice, r.Currency), r.Currency), ct);
        if (p is null) { ctx.AnswerCallback(error?.Detail, alert: true); return; }
        await db.Payments.Where(x => x.Id == p.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, r.ExpiresAt), ct);
        var product = await db.Products.AsNoTracking().FirstAsync(x => x.Id == r.ProductId, ct);
        stars.EnqueueInvoice(ctx.Chat, p, product.Name, $"{product.Name} · reservation {r.Id}");
        ctx.AnswerCallback();
        ctx.Reply(F(ctx, ShopTexts.StarsInvoiceSent, Time(r.ExpiresAt)));
    }

    /// <summary>A Stripe payment for the held price; the checkout link is made by the preparation job, outside this transaction.</summary>
    private async Task PayCardAsync(BotContext ctx, long reservationId)
    {
        if (await HeldAsync(ctx, reservationId) is not { } r) return;
        var ct = ctx.CancellationToken;
        var (p, error) = await paymentCreator.CreatePendingAsync(new CreatePaymentRequest(ctx.User.Id, PaymentMethod.Stripe.WireName(), "order",
            r.Id.ToString(CultureInfo.InvariantCulture), Currencies.ToMajor(r.FinalPrice, r.Currency), r.Currency), ct);
        if (p is null) { ctx.AnswerCallback(error?.Detail, alert: true); return; }
        PaymentPreparation.Enqueue(jobs, p, ctx.Chat, ctx.Language);
        ctx.AnswerCallback();
        ctx.Reply(ctx.T(ShopTexts.CardLinkComing));
    }

    /// <summary>
    /// A BTC or LTC payment for the held price: the preparation job takes the rate and derives a fresh address outside
    /// this transaction, and holds the quote until the reservation ends. Pressing again shows the same address.
    /// </summary>
    private async Task PayCryptoAsync(BotContext ctx, long reservationId, string coinName)
    {
        if (!PaymentMethods.TryParse(coinName, out var coin) || !coin.IsCrypto()) { ctx.AnswerCallback(); return; }
        if (await HeldAsync(ctx, reservationId) is not { } r) return;
        var ct = ctx.CancellationToken;
        var purposeRef = r.Id.ToString(CultureInfo.InvariantCulture);
        var open = await db.Payments.AsNoTracking().Where(x => x.UserId == ctx.User.Id && x.Purpose == PaymentPurpose.Order && x.PurposeRef == purposeRef
            && x.Method == coin && x.Status == PaymentStatus.Pending).OrderByDescending(x => x.Id).FirstOrDefaultAsync(ct);
        if (open?.PayUrl is not null && await db.CryptoDeposits.AsNoTracking().FirstOrDefaultAsync(d => d.PaymentId == open.Id, ct) is { } deposit)
        {
            ctx.AnswerCallback();
            DepositBot.SendCryptoInstructions(ctx.Outbox, ctx.Chat, ctx.Language, open, deposit);
            return;
        }
        if (open is null)
        {
            var (p, error) = await paymentCreator.CreatePendingAsync(new CreatePaymentRequest(ctx.User.Id, coin.WireName(), "order", purposeRef,
                Currencies.ToMajor(r.FinalPrice, r.Currency), r.Currency), ct);
            if (p is null) { ctx.AnswerCallback(error?.Detail, alert: true); return; }
            PaymentPreparation.Enqueue(jobs, p, ctx.Chat, ctx.Language);
        }
        ctx.AnswerCallback();
        ctx.Reply(F(ctx, ShopTexts.CryptoAddressComing, PaymentCreator.CoinCode(coin), Time(r.ExpiresAt)));
    }

    // Orders

    public async Task OrdersAsync(BotContext ctx)
    {
        var orders = await db.Orders.AsNoTracking().Where(o => o.UserId == ctx.User.Id).OrderByDescending(o => o.Id).Take(20).ToListAsync(ctx.CancellationToken);
        if (orders.Count == 0) { ctx.Reply(ctx.T(ShopTexts.NoOrders)); return; }
        var lines = orders.Select(o => $"#{o.Id} · {o.CreatedAt:yyyy-MM-dd} · {H(o.ProductName)} · {Pricing.Format(o.FinalPrice, o.Currency)}");
        var rows = orders.Select(o => new[] { Btn(F(ctx, ShopTexts.ShowDelivery, o.Id, o.ProductName), $"shop:o:{o.Id}") });
        ctx.Reply(ctx.T(ShopTexts.OrdersTitle) + "\n" + string.Join("\n", lines), new InlineKeyboardMarkup(rows));
    }

    private async Task ShowOrderAsync(BotContext ctx, long orderId)
    {
        var ct = ctx.CancellationToken;
        // Only the buyer's own orders: the id in the button is checked against the user.
        var o = await db.Orders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == orderId && x.UserId == ctx.User.Id, ct);
        ctx.AnswerCallback();
        if (o is null) return;
        var p = await db.Products.AsNoTracking().FirstAsync(x => x.Id == o.ProductId, ct);
        var unit = o.UnitId is null ? null : await db.StockUnits.AsNoTracking().FirstOrDefaultAsync(u => u.Id == o.UnitId, ct);
        delivery.IsRepeat = true;
        await delivery.SendGoodsAsync(ctx.Chat, ctx.Language, o, p, unit, null, ct);
    }

    // Subscriptions

    /// <summary>Runs <paramref name="then"/> for a user with an active entitlement to <paramref name="key"/>; offers the subscription otherwise.</summary>
    public async Task RequireEntitlementAsync(BotContext ctx, string key, Func<Entitlement, Task> then)
    {
        var e = await entitlements.ActiveAsync(ctx.User.Id, key, ctx.CancellationToken);
        if (e is not null) { await then(e); return; }
        var offers = await db.Products.AsNoTracking().Where(p => p.IsActive && p.Kind == ProductKind.Subscription && p.EntitlementKey == key)
            .OrderBy(p => p.BasePrice).ToListAsync(ctx.CancellationToken);
        var name = offers.FirstOrDefault()?.Name ?? key;
        var rows = offers.Select(p => new[] { Btn($"{ctx.T(ShopTexts.Buy)} · {p.Name} · {Pricing.Format(Pricing.For(p, O.Currency, ctx.Now).Final, O.Currency)}", BuyPrefix + p.Id) });
        ctx.AnswerCallback();
        ctx.Reply(F(ctx, ShopTexts.NeedsSubscription, H(name)), new InlineKeyboardMarkup(rows));
    }

    private Task VipAsync(BotContext ctx, Entitlement e)
    {
        ctx.Reply(F(ctx, ShopTexts.VipWelcome, e.ExpiresAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)));
        return Task.CompletedTask;
    }

    // Admins

    private bool RefuseNonAdmin(BotContext ctx)
    {
        if (ctx.IsAdmin) return false;
        if (ctx.CallbackData is not null) { ctx.AnswerCallback(); return true; }
        ctx.Reply(string.Format(ctx.T(ConversationTexts.UnknownCommand), ConversationTexts.Html(ctx.Command ?? "")) + "\n\n" +
            ctx.T(ConversationTexts.AvailableCommands) + "\n" + pipeline.CommandList(ctx.Language));
        return true;
    }

    public async Task InventoryAsync(BotContext ctx)
    {
        if (RefuseNonAdmin(ctx)) return;
        var now = ctx.Now;
        var rows = await db.Products.AsNoTracking().OrderBy(p => p.Name)
            .Select(p => new
            {
                p.Id, p.Name, p.Kind, p.IsActive,
                Free = db.StockUnits.Count(u => u.ProductId == p.Id && (u.Status == UnitStatus.Available || (u.Status == UnitStatus.Reserved && u.HeldUntil <= now))),
                Sold = db.StockUnits.Count(u => u.ProductId == p.Id && u.Status == UnitStatus.Sold),
            }).ToListAsync(ctx.CancellationToken);
        var lines = rows.Select(r => ProductKind.HasStock(r.Kind) ? $"#{r.Id} {H(r.Name)}: {r.Free} / {r.Sold}" : $"#{r.Id} {H(r.Name)}: ∞ ({r.Kind})");
        var buttons = rows.Where(r => ProductKind.HasStock(r.Kind)).Select(r => new[] { Btn($"➕ {r.Name}", $"shop:inv:{r.Id}") });
        ctx.Reply(ctx.T(ShopTexts.InventoryTitle) + "\n" + string.Join("\n", lines), new InlineKeyboardMarkup(buttons));
    }

    private async Task AskUnitsAsync(BotContext ctx, long productId)
    {
        if (RefuseNonAdmin(ctx)) return;
        var p = await db.Products.AsNoTracking().FirstOrDefaultAsync(x => x.Id == productId, ctx.CancellationToken);
        ctx.AnswerCallback();
        if (p is null) return;
        if (!ProductKind.HasStock(p.Kind)) { ctx.Reply(F(ctx, ShopTexts.NoStockKind, H(p.Name))); return; }
        await ctx.SetStepAsync(AddUnitsStep, new ProductRef(p.Id));
        ctx.Reply(F(ctx, ShopTexts.AddUnits, H(p.Name)));
    }

    private async Task UnitsEnteredAsync(BotContext ctx)
    {
        var data = await ctx.GetStateDataAsync<ProductRef>();
        if (!ctx.IsAdmin || data is null) { await ctx.ClearStateAsync(); return; }
        var lines = (ctx.Text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0) { ctx.Reply(ctx.T(ShopTexts.NothingSent)); return; }
        var p = await db.Products.AsNoTracking().FirstOrDefaultAsync(x => x.Id == data.ProductId, ctx.CancellationToken);
        await ctx.ClearStateAsync();
        if (p is null) return;
        Catalog.AddUnits(db, p, lines, ctx.Now);
        await db.SaveChangesAsync(ctx.CancellationToken);
        ctx.Reply(F(ctx, ShopTexts.UnitsAdded, lines.Length, H(p.Name), await reservations.FreeStockAsync(p.Id, ctx.CancellationToken)));
    }

    public async Task SetDiscountAsync(BotContext ctx)
    {
        if (RefuseNonAdmin(ctx)) return;
        var products = await db.Products.AsNoTracking().Where(p => p.IsActive).OrderBy(p => p.Name).Take(60).ToListAsync(ctx.CancellationToken);
        var rows = products.Select(p => new[] { Btn($"{p.Name} ({p.DiscountPercent}%)", $"shop:disc:{p.Id}") });
        ctx.Reply(ctx.T(ShopTexts.PickForDiscount), new InlineKeyboardMarkup(rows));
    }

    private async Task AskPercentAsync(BotContext ctx, long productId)
    {
        if (RefuseNonAdmin(ctx)) return;
        var p = await db.Products.AsNoTracking().FirstOrDefaultAsync(x => x.Id == productId, ctx.CancellationToken);
        ctx.AnswerCallback();
        if (p is null) return;
        await ctx.SetStepAsync(DiscountStep, new ProductRef(p.Id));
        ctx.Reply(F(ctx, ShopTexts.EnterPercent, H(p.Name)));
    }

    private async Task PercentEnteredAsync(BotContext ctx)
    {
        var data = await ctx.GetStateDataAsync<ProductRef>();
        if (!ctx.IsAdmin || data is null) { await ctx.ClearStateAsync(); return; }
        var s = (ctx.Text ?? "").Trim().TrimEnd('%').Trim();
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var pct) || pct > Pricing.MaxDiscountPercent)
        {
            ctx.Reply(ctx.T(ShopTexts.BadPercent));
            return;
        }
        await ctx.ClearStateAsync();
        var now = ctx.Now;
        await db.Products.Where(p => p.Id == data.ProductId).ExecuteUpdateAsync(x => x.SetProperty(p => p.DiscountPercent, pct)
            .SetProperty(p => p.DiscountStartsAt, (DateTime?)null).SetProperty(p => p.DiscountEndsAt, (DateTime?)null).SetProperty(p => p.UpdatedAt, now), ctx.CancellationToken);
        var p = await db.Products.AsNoTracking().FirstAsync(x => x.Id == data.ProductId, ctx.CancellationToken);
        ctx.Reply(F(ctx, ShopTexts.DiscountSet, H(p.Name), Pricing.Format(Pricing.For(p, O.Currency, now).Final, O.Currency), pct));
    }
}
