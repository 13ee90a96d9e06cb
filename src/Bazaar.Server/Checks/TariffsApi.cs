using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Checks;

/// <summary>Tariffs for operators and users, and the payment routes an existing client calls, as thin aliases.</summary>
public static class TariffsApi
{
    public sealed record TariffRequest(string? Name, long? Credits, decimal? Price, string? Currency, long? StarsPrice, bool? IsActive, int? SortOrder);
    public sealed record TariffView(long Id, string Name, long Credits, decimal Price, long PriceMinor, string Currency, long? StarsPrice,
        bool IsActive, int SortOrder);
    public sealed record CreateTariffPaymentRequest(long UserId, long TariffId, string? Method);
    public sealed record StarsInvoiceRequest(long UserId, long TariffId);
    public sealed record StarsInvoiceView(long PaymentId, string InvoiceLink, long Stars, PaymentStatus Status);
    public sealed record PaymentStatusView(long Id, PaymentStatus Status, PaymentMethod Method, PaymentPurpose Purpose, string? PurposeRef,
        string? PayUrl, DateTime CreatedAt, DateTime? CompletedAt, string? StatusReason);

    public const int MaxCredits = 100_000;
    public const long MaxStars = 100_000;

    public static IEndpointRouteBuilder MapTariffsApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapAdminGroup("/tariffs", "Checks");
        admin.MapGet("/", List).WithName("ListTariffs").WithSummary("Every tariff, active or not, in sort order");
        admin.MapPost("/", Create).WithName("CreateTariff").WithSummary("Create a tariff: a name, credits, a price in the shop currency, an optional Stars price");
        admin.MapPut("/{id:long}", Update).WithName("UpdateTariff").WithSummary("Change a tariff (payments already made keep their price)");
        admin.MapDelete("/{id:long}", Deactivate).WithName("DeactivateTariff")
            .WithSummary("Deactivate a tariff: it is no longer offered; the row stays, as payments refer to it");

        app.MapGroup("/api/v1/tariffs").AllowAnonymous().WithTags("Checks")
            .MapGet("/", Active).WithName("ListActiveTariffs").WithSummary("The tariffs on sale, in sort order");

        var pay = app.MapGroup("/api/v1/payments").RequireAuthorization(AdminModule.Policy).WithTags("Payments");
        pay.MapPost("/create", CreatePayment).WithName("CreateTariffPayment")
            .WithSummary("Alias: create a payment for a tariff (user, tariff, method); the same as POST /api/v1/payments with purpose tariff");
        pay.MapGet("/{id:long}/status", Status).WithName("GetPaymentStatus").WithSummary("Alias: a payment's status (see GET /api/v1/payments/{id})");
        pay.MapPost("/telegram-stars", StarsInvoice).WithName("CreateTariffStarsInvoice")
            .WithSummary("Alias: a Telegram Stars invoice link for a tariff (a stars payment of the tariff purpose)");
        app.MapGroup("/api/v1/payments").AllowAnonymous().WithTags("Payments")
            .MapPost("/robokassa/callback", PaymentsModule.RobokassaResult).WithName("RobokassaCallback").DisableAntiforgery()
            .WithSummary("Alias of /api/v1/payments/robokassa/result (Robokassa's ResultURL)");
        return app;
    }

    public static TariffView View(Tariff t) =>
        new(t.Id, t.Name, t.Credits, Currencies.ToMajor(t.Price, t.Currency), t.Price, t.Currency, t.StarsPrice, t.IsActive, t.SortOrder);

    internal static async Task<Ok<List<TariffView>>> List(BazaarDb db, CancellationToken ct) =>
        TypedResults.Ok((await db.Tariffs.AsNoTracking().OrderBy(t => t.SortOrder).ThenBy(t => t.Id).ToListAsync(ct)).Select(View).ToList());

    internal static async Task<Ok<List<TariffView>>> Active(BazaarDb db, CancellationToken ct) =>
        TypedResults.Ok((await db.Tariffs.AsNoTracking().Where(t => t.IsActive).OrderBy(t => t.SortOrder).ThenBy(t => t.Id).ToListAsync(ct))
            .Select(View).ToList());

    internal static async Task<Results<Created<TariffView>, ProblemHttpResult>> Create(TariffRequest r, BazaarDb db,
        IOptions<ShopCurrencyOptions> shop, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var t = new Tariff { Name = "", Currency = shop.Value.Currency, CreatedAt = now, UpdatedAt = now };
        if (Apply(t, r, shop.Value.Currency, creating: true) is { } problem) return problem;
        db.Tariffs.Add(t);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/admin/tariffs/{t.Id}", View(t));
    }

    internal static async Task<Results<Ok<TariffView>, ProblemHttpResult>> Update(long id, TariffRequest r, BazaarDb db,
        IOptions<ShopCurrencyOptions> shop, TimeProvider clock, CancellationToken ct)
    {
        var t = await db.Tariffs.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (t is null) return Problems.NotFound(TariffErrors.NotFound, $"There is no tariff {id}.");
        if (Apply(t, r, shop.Value.Currency, creating: false) is { } problem) return problem;
        t.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(t));
    }

    internal static async Task<Results<Ok<TariffView>, ProblemHttpResult>> Deactivate(long id, BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        var t = await db.Tariffs.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (t is null) return Problems.NotFound(TariffErrors.NotFound, $"There is no tariff {id}.");
        t.IsActive = false;
        t.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(t));
    }

    /// <summary>Validates and applies a request; on create every required field must be there, on update what is given.</summary>
    private static ProblemHttpResult? Apply(Tariff t, TariffRequest r, string shopCurrency, bool creating)
    {
        if (creating || r.Name is not null)
        {
            var name = r.Name?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > 100) return Problems.BadRequest("invalid_name", "A tariff needs a name of 1 to 100 characters.");
            t.Name = name;
        }
        if (creating || r.Credits is not null)
        {
            if (r.Credits is not (>= 1 and <= MaxCredits)) return Problems.BadRequest("invalid_credits", $"Credits must be a whole number from 1 to {MaxCredits}.");
            t.Credits = r.Credits.Value;
        }
        if (creating || r.Price is not null || r.Currency is not null)
        {
            var currency = Currencies.Normalize(r.Currency ?? (creating ? shopCurrency : t.Currency));
            if (!Currencies.IsMoney(currency)) return Problems.BadRequest("invalid_currency", $"'{currency}' is not a currency this server knows.");
            var price = r.Price ?? (creating ? null : Currencies.ToMajor(t.Price, t.Currency));
            if (price is null || !Currencies.TryToMinor(price.Value, currency, out var minor) || minor <= 0)
                return Problems.BadRequest("invalid_price", $"The price must be positive, in {currency}, with at most {Currencies.Scale(currency)} decimals.");
            t.Price = minor;
            t.Currency = currency;
        }
        if (r.StarsPrice is not null)
        {
            if (r.StarsPrice is not (>= 1 and <= MaxStars)) return Problems.BadRequest("invalid_stars_price", $"The Stars price must be from 1 to {MaxStars}, or left out.");
            t.StarsPrice = r.StarsPrice;
        }
        if (r.IsActive is not null) t.IsActive = r.IsActive.Value;
        if (r.SortOrder is not null) t.SortOrder = r.SortOrder.Value;
        return null;
    }

    internal static async Task<Results<Created<PaymentsModule.PaymentView>, ProblemHttpResult>> CreatePayment(CreateTariffPaymentRequest r,
        BazaarDb db, PaymentCreator creator, ManualTransfers manual, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(r.Method)) return Problems.BadRequest("unknown_method", "Give a method: stars, stripe, robokassa, btc, ltc, manual_bank or manual_blik.");
        var t = await db.Tariffs.AsNoTracking().FirstOrDefaultAsync(x => x.Id == r.TariffId, ct);
        if (t is null) return Problems.NotFound(TariffErrors.NotFound, $"There is no tariff {r.TariffId}.");
        return await PaymentsModule.Create(new CreatePaymentRequest(r.UserId, r.Method, "tariff", t.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Currencies.ToMajor(t.Price, t.Currency), t.Currency), creator, manual, db, ct);
    }

    internal static async Task<Results<Ok<PaymentStatusView>, ProblemHttpResult>> Status(long id, BazaarDb db, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return p is null ? Problems.NotFound("payment_not_found", $"There is no payment {id}.")
            : TypedResults.Ok(new PaymentStatusView(p.Id, p.Status, p.Method, p.Purpose, p.PurposeRef, p.PayUrl, p.CreatedAt, p.CompletedAt, p.StatusReason));
    }

    internal static async Task<Results<Created<StarsInvoiceView>, ProblemHttpResult>> StarsInvoice(StarsInvoiceRequest r, BazaarDb db,
        PaymentCreator creator, ManualTransfers manual, CancellationToken ct)
    {
        var result = await CreatePayment(new CreateTariffPaymentRequest(r.UserId, r.TariffId, PaymentMethod.Stars.WireName()), db, creator, manual, ct);
        if (result.Result is not Created<PaymentsModule.PaymentView> { Value: { } p }) return (ProblemHttpResult)result.Result;
        return TypedResults.Created($"/api/v1/payments/{p.Id}", new StarsInvoiceView(p.Id, p.PayUrl ?? "", p.PayAmountMinor, p.Status));
    }
}
