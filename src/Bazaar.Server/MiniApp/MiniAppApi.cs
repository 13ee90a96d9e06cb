using System.Globalization;
using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Hosting;
using Bazaar.Server.Payments;
using Bazaar.Server.Referrals;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.MiniApp;

/// <summary>
/// The customer API the Mini App page calls, under /api/v1/app. Every route acts for the caller of the validated
/// initData only; a reservation, order or payment of anyone else is a 404, as if it did not exist. Pricing,
/// reserving, buying, payments and joining are the features' own services and handlers.
/// </summary>
public static class MiniAppApi
{
    public const string Tag = "Mini App";

    public static RouteGroupBuilder MapMiniAppCustomerApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/app").AllowAnonymous().WithTags(Tag).AddEndpointFilter(MiniAppAuth.Filter);
        g.MapGet("/me", Me).WithName("AppMe").WithSummary("The caller: Telegram id, name, language, wallet balances and referral link");
        g.MapGet("/catalog/locations", ShopApi.Locations).WithName("AppLocations").WithSummary("Cities with their districts");
        g.MapGet("/catalog/categories", ShopApi.Categories).WithName("AppCategories").WithSummary("Product categories");
        g.MapGet("/products", Products).WithName("AppProducts").WithSummary("Active products with filters (city, district, category, search) and paging");
        g.MapGet("/products/{id:long}", ShopApi.GetProduct).WithName("AppProduct").WithSummary("One product with its photos and current (discounted) price");
        g.MapGet("/reservations", MyReservations).WithName("AppReservations").WithSummary("The caller's running reservations");
        g.MapPost("/reservations", Reserve).WithName("AppReserve").WithSummary("Hold one unit of a product and its price for Shop:ReservationMinutes");
        g.MapPost("/reservations/{id:long}/confirm", Confirm).WithName("AppConfirm").WithSummary("Pay a reservation from the caller's wallet");
        g.MapPost("/reservations/{id:long}/cancel", Cancel).WithName("AppCancel").WithSummary("Cancel a reservation; its unit is free at once");
        g.MapPost("/reservations/{id:long}/stars", PayStars).WithName("AppPayStars")
            .WithSummary("A Telegram Stars invoice link (createInvoiceLink) for the reservation's held price, for WebApp.openInvoice");
        g.MapGet("/orders", MyOrders).WithName("AppOrders").WithSummary("The caller's orders with their deliveries, newest first");
        g.MapGet("/orders/{id:long}", MyOrder).WithName("AppOrder").WithSummary("One of the caller's orders with its delivery");
        g.MapPost("/wallet/topup", TopUp).WithName("AppTopUp")
            .WithSummary("Top up the wallet: a payment (stars, stripe, robokassa, btc, ltc) with its invoice link, checkout URL or address");
        g.MapGet("/payments/{id:long}", MyPayment).WithName("AppPayment").WithSummary("One of the caller's payments and its status");
        g.MapGet("/referral", Referral).WithName("AppReferral").WithSummary("The caller's referral link, invited and earned");
        g.MapGet("/giveaways", OpenGiveaways).WithName("AppGiveaways").WithSummary("Giveaways open for joining, and whether the caller takes part");
        g.MapPost("/giveaways/{id:long}/join", Join).WithName("AppJoinGiveaway")
            .WithSummary("Join a giveaway by the bot's rules: the captcha once, then the required channels");
        g.MapPost("/giveaways/captcha", AnswerCaptcha).WithName("AppGiveawayCaptcha").WithSummary("Answer the captcha; the join it was asked for goes on");
        return g;
    }

    public sealed record MeView(long TelegramId, long UserId, string Name, string? Username, string Language, string Currency,
        IReadOnlyList<WalletModule.BalanceView> Balances, string? ReferralLink, IReadOnlyList<string> TopUpMethods, int ReservationMinutes);
    public sealed record ReserveRequest(long ProductId);
    public sealed record ReservationView(long Id, long ProductId, string ProductName, string Status, long FinalPriceMinor, long OriginalPriceMinor,
        int DiscountPercent, string Currency, string FinalPrice, DateTime ExpiresAt, int SecondsLeft, long? Stars);
    public sealed record TopUpRequest(string Method, decimal Amount, string? Currency);
    public sealed record StarsInvoice(long PaymentId, string InvoiceLink, long Stars);
    public sealed record GiveawayView(long Id, string Title, string Description, string Prize, string? PhotoUrl, int WinnerCount, DateTime EndsAt,
        int Participants, bool Joined, IReadOnlyList<string> RequiredChannels);
    public sealed record JoinView(string Status, long? ParticipantId, string? CaptchaQuestion, string? SessionId, int AttemptsLeft,
        IReadOnlyList<ParticipantApi.MissingChannelView>? MissingChannels, IReadOnlyList<string>? CaptchaOptions = null);
    public sealed record CaptchaAnswer(string SessionId, string Answer);

    /// <summary>Top-ups the app can hand over to Telegram or a browser; a manual transfer needs its proof sent in the chat.</summary>
    private static readonly PaymentMethod[] AppTopUpMethods =
        [PaymentMethod.Stars, PaymentMethod.Stripe, PaymentMethod.Robokassa, PaymentMethod.Btc, PaymentMethod.Ltc];

    internal static async Task<Ok<MeView>> Me(MiniAppCaller caller, BazaarDb db, ReferralStats referrals, IOptions<ShopOptions> shop,
        IOptions<PaymentsOptions> payments, CancellationToken ct)
    {
        var u = caller.User;
        var summary = await referrals.SummaryAsync(u.Id, ct);
        return TypedResults.Ok(new MeView(caller.InitData.User.Id, u.Id, u.DisplayName, u.Username, u.LanguageCode,
            Currencies.Normalize(shop.Value.Currency), await WalletModule.Balances(db, u.Id, ct), summary.Link,
            AppTopUpMethods.Where(payments.Value.IsEnabled).Select(m => m.WireName()).ToList(), shop.Value.ReservationMinutes));
    }

    internal static Task<Results<Ok<Paged<ShopApi.ProductView>>, ProblemHttpResult>> Products(BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock,
        CancellationToken ct, long? city = null, long? district = null, long? category = null, string? search = null, bool? in_stock = null,
        int page = 1, int pageSize = 20) =>
        ShopApi.ListProducts(db, o, clock, ct, city, district, category, in_stock, search, page, pageSize);

    private static async Task<ReservationView> ViewAsync(BazaarDb db, StarsPayments stars, IOptions<PaymentsOptions> payments, Reservation r,
        DateTime now, CancellationToken ct)
    {
        var name = await db.Products.Where(p => p.Id == r.ProductId).Select(p => p.Name).FirstOrDefaultAsync(ct) ?? "";
        var left = r.Status == ReservationStatus.Active ? Math.Max(0, (int)Math.Ceiling((r.ExpiresAt - now).TotalSeconds)) : 0;
        long? starsPrice = payments.Value.IsEnabled(PaymentMethod.Stars) && r.FinalPrice > 0 ? stars.StarsFor(r.FinalPrice, r.Currency) : null;
        return new ReservationView(r.Id, r.ProductId, name, r.Status, r.FinalPrice, r.OriginalPrice, r.DiscountPercent, r.Currency,
            Pricing.Format(r.FinalPrice, r.Currency), r.ExpiresAt, left, starsPrice);
    }

    internal static async Task<Ok<List<ReservationView>>> MyReservations(MiniAppCaller caller, BazaarDb db, Reservations reservations, StarsPayments stars,
        IOptions<PaymentsOptions> payments, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var list = new List<ReservationView>();
        foreach (var r in await reservations.ActiveAsync(caller.UserId, ct)) list.Add(await ViewAsync(db, stars, payments, r, now, ct));
        return TypedResults.Ok(list);
    }

    internal static async Task<Results<Created<ReservationView>, ProblemHttpResult>> Reserve(ReserveRequest request, MiniAppCaller caller, BazaarDb db,
        Reservations reservations, StarsPayments stars, IOptions<PaymentsOptions> payments, TimeProvider clock, CancellationToken ct)
    {
        var result = await reservations.ReserveAsync(caller.UserId, request.ProductId, ct);
        if (result.Reservation is not { } r) return ShopApi.Problem(result.Error!);
        return TypedResults.Created($"/api/v1/app/reservations/{r.Id}", await ViewAsync(db, stars, payments, r, clock.GetUtcNow().UtcDateTime, ct));
    }

    internal static async Task<Results<Ok<ShopApi.OrderView>, ProblemHttpResult>> Confirm(long id, MiniAppCaller caller, BazaarDb db, Purchase purchase,
        CancellationToken ct)
    {
        // The purchase looks the reservation up by id and caller, so another customer's id is "not found".
        var result = await purchase.ConfirmAsync(caller.UserId, id, ct);
        if (!result.Ok) return ShopApi.Problem(result.Error!);
        return TypedResults.Ok(await OrderViewAsync(db, result.Order!, ct));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Cancel(long id, MiniAppCaller caller, BazaarDb db, Reservations reservations,
        CancellationToken ct)
    {
        if (!await db.Reservations.AnyAsync(r => r.Id == id && r.UserId == caller.UserId, ct)) return ShopApi.Problem(ShopErrors.ReservationNotFound);
        return await reservations.CancelAsync(caller.UserId, id, ct) ? TypedResults.NoContent() : ShopApi.Problem(ShopErrors.ReservationExpired);
    }

    /// <summary>The shop's own "pay a reservation" (the order purpose at the held price), with createInvoiceLink for Stars.</summary>
    internal static async Task<Results<Ok<StarsInvoice>, ProblemHttpResult>> PayStars(long id, MiniAppCaller caller, BazaarDb db, PaymentCreator creator,
        ManualTransfers manual, TimeProvider clock, CancellationToken ct)
    {
        var paid = await ShopApi.Pay(id, new ShopApi.PayRequest(caller.UserId, PaymentMethod.Stars.WireName()), db, creator, manual, clock, ct);
        if (paid.Result is not Created<PaymentsModule.PaymentView> { Value: { } p }) return (ProblemHttpResult)paid.Result;
        // As in the chat: the quote holds until the reservation ends, and the pre-checkout refuses it after.
        var expires = await db.Reservations.Where(r => r.Id == id).Select(r => r.ExpiresAt).FirstAsync(ct);
        await db.Payments.Where(x => x.Id == p.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpiresAt, expires), ct);
        return TypedResults.Ok(new StarsInvoice(p.Id, p.PayUrl!, p.PayAmountMinor));
    }

    private static async Task<ShopApi.OrderView> OrderViewAsync(BazaarDb db, Order o, CancellationToken ct)
    {
        var unit = o.UnitId is null ? null : await db.StockUnits.AsNoTracking().FirstOrDefaultAsync(u => u.Id == o.UnitId, ct);
        return ShopApi.View(o, unit);
    }

    internal static async Task<Ok<List<ShopApi.OrderView>>> MyOrders(MiniAppCaller caller, BazaarDb db, CancellationToken ct)
    {
        var orders = await db.Orders.AsNoTracking().Where(o => o.UserId == caller.UserId).OrderByDescending(o => o.Id).Take(50).ToListAsync(ct);
        var unitIds = orders.Where(o => o.UnitId != null).Select(o => o.UnitId!.Value).ToList();
        var units = await db.StockUnits.AsNoTracking().Where(u => unitIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, ct);
        return TypedResults.Ok(orders.Select(o => ShopApi.View(o, o.UnitId is { } u ? units.GetValueOrDefault(u) : null)).ToList());
    }

    internal static async Task<Results<Ok<ShopApi.OrderView>, ProblemHttpResult>> MyOrder(long id, MiniAppCaller caller, BazaarDb db, CancellationToken ct)
    {
        var o = await db.Orders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.UserId == caller.UserId, ct);
        return o is null ? Problems.NotFound("order_not_found", $"You have no order {id}.") : TypedResults.Ok(await OrderViewAsync(db, o, ct));
    }

    /// <summary>The payment model's own creation, for the caller and the wallet_topup purpose.</summary>
    internal static async Task<Results<Created<PaymentsModule.PaymentView>, ProblemHttpResult>> TopUp(TopUpRequest request, MiniAppCaller caller,
        PaymentCreator creator, ManualTransfers manual, BazaarDb db, CancellationToken ct)
    {
        if (PaymentMethods.TryParse(request.Method ?? "", out var m) && !AppTopUpMethods.Contains(m))
            return Problems.Unprocessable("method_not_supported", "A manual transfer needs its proof sent in the chat: use /wallet → Deposit in the bot.");
        return await PaymentsModule.Create(new CreatePaymentRequest(caller.UserId, request.Method ?? "", "wallet_topup", null, request.Amount,
            request.Currency), creator, manual, db, ct);
    }

    internal static async Task<Results<Ok<PaymentsModule.PaymentView>, ProblemHttpResult>> MyPayment(long id, MiniAppCaller caller, BazaarDb db,
        ManualTransfers manual, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.UserId == caller.UserId, ct);
        return p is null ? Problems.NotFound("payment_not_found", $"You have no payment {id}.") : TypedResults.Ok(await PaymentsModule.View(db, manual, p, ct));
    }

    internal static async Task<Ok<ReferralSummary>> Referral(MiniAppCaller caller, ReferralStats referrals, CancellationToken ct) =>
        TypedResults.Ok(await referrals.SummaryAsync(caller.UserId, ct));

    internal static async Task<Ok<List<GiveawayView>>> OpenGiveaways(MiniAppCaller caller, BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var open = await db.Giveaways.AsNoTracking().Include(g => g.RequiredChannels)
            .Where(g => g.Status == GiveawayStatus.Published && g.StartsAt <= now && g.EndsAt > now).OrderBy(g => g.EndsAt).Take(50).ToListAsync(ct);
        var ids = open.Select(g => g.Id).ToList();
        var mine = await db.GiveawayParticipants.Where(p => p.UserId == caller.UserId && ids.Contains(p.GiveawayId)).Select(p => p.GiveawayId).ToListAsync(ct);
        return TypedResults.Ok(open.Where(g => g.EndAfterParticipants is not { } n || g.ParticipantCount < n)
            .Select(g => new GiveawayView(g.Id, g.Title, g.Description, g.Prize, g.PhotoUrl is { } u && u.StartsWith("https://", StringComparison.Ordinal) ? u : null,
                g.WinnerCount, g.EndsAt, g.ParticipantCount, mine.Contains(g.Id), g.RequiredChannels.Select(c => c.Title).ToList())).ToList());
    }

    internal static async Task<Results<Ok<JoinView>, ProblemHttpResult>> Join(long id, MiniAppCaller caller, GiveawayEntry entry, GiveawayJoining joining,
        CancellationToken ct)
    {
        var g = await entry.FindAsync(id, ct);
        if (g is null || g.Status == GiveawayStatus.Draft) return Problems.NotFound("giveaway_not_found", $"There is no giveaway {id}.");
        return JoinAnswer(await joining.RegisterAsync(g, caller.User, ct));
    }

    internal static async Task<Results<Ok<JoinView>, ProblemHttpResult>> AnswerCaptcha(CaptchaAnswer request, MiniAppCaller caller, BazaarDb db,
        GiveawayJoining joining, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.SessionId) || string.IsNullOrWhiteSpace(request.Answer))
            return Problems.BadRequest("answer_required", "Send sessionId and answer.");
        return JoinAnswer(await joining.AnswerAsync(request.SessionId.Trim(), request.Answer, caller.UserId,
            (uid, t) => db.Users.AsNoTracking().FirstAsync(u => u.Id == uid, t), ct));
    }

    private static Results<Ok<JoinView>, ProblemHttpResult> JoinAnswer(JoinAttempt a) => a.Step switch
    {
        JoinStep.Joined => TypedResults.Ok(new JoinView("joined", a.ParticipantId, null, null, 0, null)),
        JoinStep.AlreadyParticipating => TypedResults.Ok(new JoinView("already_participating", a.ParticipantId, null, null, 0, null)),
        JoinStep.CaptchaAsked => TypedResults.Ok(new JoinView("captcha", null, CaptchaQuestions.Prompt(a.Session!), a.Session!.Id, a.AttemptsLeft, null,
            CaptchaQuestions.IsEmoji(a.Session!) ? CaptchaQuestions.Options(a.Session!) : null)),
        JoinStep.NotSubscribed => TypedResults.Ok(new JoinView("not_subscribed", null, null, null, 0,
            a.Missing!.Select(m => new ParticipantApi.MissingChannelView(m.ChatId, m.Title, m.Link, m.Status)).ToList())),
        JoinStep.WrongAnswer => Problems.BadRequest("wrong_answer", $"Wrong answer; {a.AttemptsLeft} attempt(s) left."),
        JoinStep.CoolingDown => Problems.Make(429, "Too many requests", "too_many_attempts", $"Too many wrong answers; try again in {a.WaitSeconds} s."),
        JoinStep.SessionExpired => Problems.Make(410, "Gone", "captcha_expired", "The question expired; press Join again for a new one."),
        JoinStep.SessionNotFound => Problems.NotFound("captcha_not_found", "There is no such question for you; press Join again."),
        JoinStep.TelegramUnavailable => Problems.Make(503, "Service unavailable", "telegram_unavailable", "Telegram did not answer; try again shortly."),
        JoinStep.NotStarted => Problems.Conflict("giveaway_not_started", $"The giveaway starts at {a.Giveaway!.StartsAt:yyyy-MM-dd HH:mm} UTC."),
        JoinStep.Ended => Problems.Conflict("giveaway_closed", "The giveaway has ended; joining is closed."),
        _ => Problems.NotFound("giveaway_not_found", "There is no such giveaway."),
    };
}
