using System.Security.Claims;
using Bazaar.Server.Admin;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Jobs;
using Bazaar.Server.Wallet;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Payments;

public static class PaymentsModule
{
    public static IServiceCollection AddPayments(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<PaymentsOptions>(config.GetSection("Payments"));
        services.AddHttpClient("stripe");
        services.AddHttpClient("rates", c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddHttpClient("esplora", c => c.Timeout = TimeSpan.FromSeconds(20));
        services.AddSingleton<RateService>();
        services.AddScoped<PaymentService>();
        services.AddScoped<IPaymentFulfilment, WalletTopupFulfilment>();
        services.AddScoped<PaymentCreator>();
        services.AddScoped<ManualTransfers>();
        services.AddScoped<CryptoPayments>();
        services.AddScoped<CryptoWatcher>();
        services.AddScoped<StripePayments>();
        services.AddScoped<StarsPayments>();
        services.AddSingleton<RobokassaPayments>();
        services.AddJobHandler<PaymentPreparation>(PaymentPreparation.JobType);
        services.AddJobHandler<StarsRefundJob>(StarsRefundJob.JobType);
        services.AddDepositBot();
        CryptoWatchJob.Register(services, config);
        return services;
    }

    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/payments").RequireAuthorization(AdminModule.Policy).WithTags("Payments");
        api.MapPost("/", Create).WithName("CreatePayment").WithSummary("Create a payment for a user and purpose (admin API key)");
        api.MapGet("/{id:long}", Get).WithName("GetPayment").WithSummary("A payment and its status");
        api.MapGet("/{id:long}/qr.png", Qr).WithName("GetPaymentQr").WithSummary("The QR code (PNG) of a crypto payment's BIP21 URI");

        var hooks = app.MapGroup("/api/v1/payments").AllowAnonymous().WithTags("Payments");
        hooks.MapPost("/stripe/webhook", StripeWebhook).WithName("StripeWebhook")
            .WithSummary("Stripe's signed webhook (checkout.session.completed / async_payment_succeeded / async_payment_failed)");
        hooks.MapPost("/robokassa/result", RobokassaResult).WithName("RobokassaResult").DisableAntiforgery()
            .WithSummary("Robokassa's ResultURL: verifies the signature and answers OK{InvId}");

        var pages = app.MapGroup("/payments").AllowAnonymous().WithTags("Payments");
        pages.MapGet("/robokassa/success", (int? InvId) => Page("Thank you!", "Your payment has been received. You can return to the chat: your wallet is updated as soon as Robokassa confirms it."))
            .WithName("RobokassaSuccessPage").WithSummary("Robokassa SuccessURL");
        pages.MapGet("/robokassa/fail", (int? InvId) => Page("Payment not completed", "The payment was cancelled or failed. Nothing was charged; you can try again from the chat."))
            .WithName("RobokassaFailPage").WithSummary("Robokassa FailURL");
        pages.MapGet("/stripe/success", () => Page("Thank you!", "Your payment has been received. You can return to the chat."))
            .WithName("StripeSuccessPage").WithSummary("Stripe Checkout success page");
        pages.MapGet("/stripe/cancel", () => Page("Payment cancelled", "Nothing was charged. You can try again from the chat."))
            .WithName("StripeCancelPage").WithSummary("Stripe Checkout cancel page");

        var admin = app.MapAdminGroup("/payments", "Payments");
        admin.MapGet("/", List).WithName("ListPayments").WithSummary("Payments with filters, newest first");
        admin.MapPost("/{id:long}/refund", Refund).WithName("RefundPayment").WithSummary("Refund a Telegram Stars payment and reverse its fulfilment");

        var deposits = app.MapAdminGroup("/deposits", "Payments");
        deposits.MapGet("/", ListDeposits).WithName("ListManualDeposits").WithSummary("Manual (bank / BLIK) deposits, e.g. ?status=pending");
        deposits.MapPost("/{id:long}/approve", Approve).WithName("ApproveDeposit").WithSummary("Approve a manual deposit: credits the wallet and tells the user");
        deposits.MapPost("/{id:long}/reject", Reject).WithName("RejectDeposit").WithSummary("Reject a manual deposit with a reason the user is told");
        return app;
    }

    public sealed record CryptoView(string Coin, string Address, long DerivationIndex, decimal Amount, long AmountSats, decimal QuotedRate,
        DateTime QuoteExpiresAt, string Uri, string QrUrl);
    public sealed record PaymentView(long Id, long UserId, PaymentMethod Method, PaymentPurpose Purpose, string? PurposeRef,
        decimal Amount, string Currency, long PayAmountMinor, string PayCurrency, PaymentStatus Status, string? Reference,
        string? Instructions, string? PayUrl, string? ProviderPaymentId, string? ProofFileId, string? ProofKind, string? StatusReason,
        string? DecidedBy, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? CompletedAt, DateTime? RefundedAt, CryptoView? Crypto);
    public sealed record RejectRequest(string? Reason);

    internal static async Task<Results<Created<PaymentView>, ProblemHttpResult>> Create(CreatePaymentRequest request,
        PaymentCreator creator, ManualTransfers manual, BazaarDb db, CancellationToken ct)
    {
        var (p, error) = await creator.CreateAsync(request, ct);
        if (error is not null) return Problems.Make(error.Status, ReasonPhrase(error.Status), error.Code, error.Detail);
        return TypedResults.Created($"/api/v1/payments/{p!.Id}", await View(db, manual, p, ct));
    }

    internal static async Task<Results<Ok<PaymentView>, ProblemHttpResult>> Get(long id, BazaarDb db, ManualTransfers manual, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return p is null ? Problems.NotFound("payment_not_found", $"There is no payment {id}.") : TypedResults.Ok(await View(db, manual, p, ct));
    }

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Qr(long id, BazaarDb db, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null || !p.Method.IsCrypto() || p.PayUrl is null) return Problems.NotFound("payment_not_found", $"There is no crypto payment {id}.");
        return TypedResults.File(CryptoPayments.QrPng(p.PayUrl), "image/png");
    }

    internal static async Task<Results<Ok<Paged<PaymentView>>, ProblemHttpResult>> List(BazaarDb db, ManualTransfers manual, CancellationToken ct,
        string? status = null, string? method = null, long? userId = null, string? purpose = null, int page = 1, int pageSize = 50)
    {
        if (!PaymentStatusFilter(status, out var s)) return Problems.InvalidStatus(Enum.GetValues<PaymentStatus>().Select(PaymentStatusText.ApiName));
        var q = db.Payments.AsNoTracking();
        if (s is not null) q = q.Where(p => p.Status == s);
        if (method is not null && PaymentMethods.TryParse(method, out var m)) q = q.Where(p => p.Method == m);
        if (purpose is not null && PaymentCreator.TryParsePurpose(purpose, out var pu)) q = q.Where(p => p.Purpose == pu);
        if (userId is not null) q = q.Where(p => p.UserId == userId);
        var paged = await Paged<Payment>.Of(q.OrderByDescending(p => p.Id), page, pageSize, ct);
        var views = new List<PaymentView>();
        foreach (var p in paged.Items) views.Add(await View(db, manual, p, ct));
        return TypedResults.Ok(new Paged<PaymentView>(views, paged.Page, paged.PageSize, paged.Total));
    }

    internal static Task<Results<Ok<Paged<PaymentView>>, ProblemHttpResult>> ListDeposits(BazaarDb db, ManualTransfers manual, CancellationToken ct,
        string? status = null, int page = 1, int pageSize = 50) =>
        ListManual(db, manual, status, page, pageSize, ct);

    private static async Task<Results<Ok<Paged<PaymentView>>, ProblemHttpResult>> ListManual(BazaarDb db, ManualTransfers manual, string? status, int page, int pageSize, CancellationToken ct)
    {
        if (!PaymentStatusFilter(status, out var s)) return Problems.InvalidStatus(Enum.GetValues<PaymentStatus>().Select(PaymentStatusText.ApiName));
        var q = db.Payments.AsNoTracking().Where(PaymentMethods.IsManualTransfer);
        if (s is not null) q = q.Where(p => p.Status == s);
        var paged = await Paged<Payment>.Of(q.OrderBy(p => p.Id), page, pageSize, ct);
        var views = new List<PaymentView>();
        foreach (var p in paged.Items) views.Add(await View(db, manual, p, ct));
        return TypedResults.Ok(new Paged<PaymentView>(views, paged.Page, paged.PageSize, paged.Total));
    }

    /// <summary>No filter, or a payment status by name in any case (PENDING as the API writes it); false for anything else.</summary>
    private static bool PaymentStatusFilter(string? status, out PaymentStatus? parsed)
    {
        parsed = null;
        if (status is null) return true;
        if (!Enum.TryParse<PaymentStatus>(status, true, out var s) || !Enum.IsDefined(s)) return false;
        parsed = s;
        return true;
    }

    internal static async Task<Results<Ok<PaymentView>, ProblemHttpResult>> Approve(long id, ManualTransfers manual, BazaarDb db,
        ClaimsPrincipal user, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().Where(PaymentMethods.IsManualTransfer).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null) return Problems.NotFound("deposit_not_found", $"There is no manual deposit {id}.");
        var r = await manual.ApproveAsync(id, Operator(user), ct);
        if (r.Outcome != CompleteOutcome.Completed)
            return Problems.Conflict("deposit_not_pending", $"Deposit {id} is {r.Status?.ToString().ToUpperInvariant() ?? "not pending"}; it was not credited again.");
        return TypedResults.Ok(await View(db, manual, (await db.Payments.AsNoTracking().FirstAsync(x => x.Id == id, ct)), ct));
    }

    internal static async Task<Results<Ok<PaymentView>, ProblemHttpResult>> Reject(long id, RejectRequest request, ManualTransfers manual,
        BazaarDb db, ClaimsPrincipal user, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
            return Problems.BadRequest("reason_required", "A rejection needs a reason of 1 to 500 characters; the user is told it.");
        var p = await db.Payments.AsNoTracking().Where(PaymentMethods.IsManualTransfer).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null) return Problems.NotFound("deposit_not_found", $"There is no manual deposit {id}.");
        if (!await manual.RejectAsync(id, request.Reason.Trim(), Operator(user), ct))
            return Problems.Conflict("deposit_not_pending", $"Deposit {id} is no longer pending.");
        return TypedResults.Ok(await View(db, manual, (await db.Payments.AsNoTracking().FirstAsync(x => x.Id == id, ct)), ct));
    }

    internal static async Task<Results<Ok<PaymentView>, Accepted<PaymentView>, ProblemHttpResult>> Refund(long id, StarsPayments stars, ManualTransfers manual,
        BazaarDb db, ClaimsPrincipal user, CancellationToken ct)
    {
        var outcome = await stars.RefundAsync(id, Operator(user), ct);
        return outcome switch
        {
            RefundOutcome.NotFound => Problems.NotFound("payment_not_found", $"There is no payment {id}."),
            RefundOutcome.NotRefundable => Problems.Conflict("not_refundable", "Only a completed Telegram Stars payment can be refunded here."),
            RefundOutcome.InsufficientFunds => Problems.Conflict("insufficient_funds",
                "The wallet no longer holds the deposited amount, so the refund would make it negative. Nothing was refunded."),
            RefundOutcome.ProviderFailed => Problems.Make(502, "Bad gateway", "provider_failed", "Telegram refused the refund; nothing changed."),
            RefundOutcome.Pending => TypedResults.Accepted((string?)null,
                await View(db, manual, (await db.Payments.AsNoTracking().FirstAsync(x => x.Id == id, ct)), ct)),
            _ => TypedResults.Ok(await View(db, manual, (await db.Payments.AsNoTracking().FirstAsync(x => x.Id == id, ct)), ct)),
        };
    }

    internal static async Task<Results<Ok, ProblemHttpResult>> StripeWebhook(HttpRequest request, StripePayments stripe, CancellationToken ct)
    {
        using var reader = new StreamReader(request.Body);
        var json = await reader.ReadToEndAsync(ct);
        var outcome = await stripe.HandleWebhookAsync(json, request.Headers["Stripe-Signature"], ct);
        return outcome == StripeWebhookOutcome.BadSignature
            ? Problems.BadRequest("bad_signature", "The Stripe-Signature header does not match this payload.")
            : TypedResults.Ok();
    }

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> RobokassaResult(HttpRequest request, RobokassaPayments robokassa,
        PaymentService payments, BazaarDb db, CancellationToken ct)
    {
        if (!request.HasFormContentType) return Problems.BadRequest("bad_request", "Robokassa posts a form.");
        var form = await request.ReadFormOrBadRequestAsync(ct);
        string outSum = form["OutSum"].ToString(), invId = form["InvId"].ToString();
        var shp = form.Where(f => f.Key.StartsWith("Shp_", StringComparison.OrdinalIgnoreCase))
            .Select(f => new KeyValuePair<string, string>(f.Key, f.Value.ToString()));
        if (!robokassa.VerifyResult(outSum, invId, form["SignatureValue"].ToString(), shp))
            return Problems.BadRequest("bad_signature", "SignatureValue does not match.");
        if (!long.TryParse(invId, out var id)) return Problems.BadRequest("bad_request", "InvId is not a number.");
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.Method == PaymentMethod.Robokassa, ct);
        if (p is null) return Problems.NotFound("payment_not_found", $"There is no Robokassa payment {invId}.");
        if (!decimal.TryParse(outSum, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var sum) ||
            !Currencies.TryToMinor(sum, p.Currency, out var minor) || minor != p.Amount)
            return Problems.BadRequest("amount_mismatch", "OutSum differs from the payment's amount.");
        var r = await payments.CompleteAsync(id, null, null, null, null, ct);
        if (r.Outcome is CompleteOutcome.NotPending && r.Status != PaymentStatus.Completed)
            return Problems.Conflict("payment_not_pending", $"Payment {id} is {r.Status}.");
        return TypedResults.Text($"OK{invId}", "text/plain");
    }

    private static ContentHttpResult Page(string title, string text) =>
        TypedResults.Content($"""
            <!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>{title}</title></head><body style="font-family:sans-serif;max-width:32em;margin:4em auto;text-align:center">
            <h1>{title}</h1><p>{text}</p></body></html>
            """, "text/html; charset=utf-8");

    private static string Operator(ClaimsPrincipal user) => $"{user.Identity?.Name ?? "unknown"} (key {user.FindFirstValue("api_key_id") ?? "?"})";

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad request", 404 => "Not found", 409 => "Conflict", 422 => "Unprocessable", 502 => "Bad gateway", 503 => "Service unavailable", _ => "Error",
    };

    internal static async Task<PaymentView> View(BazaarDb db, ManualTransfers manual, Payment p, CancellationToken ct)
    {
        CryptoView? crypto = null;
        if (p.Method.IsCrypto())
        {
            var d = await db.CryptoDeposits.AsNoTracking().FirstOrDefaultAsync(x => x.PaymentId == p.Id, ct);
            if (d is not null)
                crypto = new CryptoView(d.Coin, d.Address, d.DerivationIndex, Currencies.ToMajor(p.PayAmount, p.PayCurrency), p.PayAmount,
                    d.QuotedRate, d.QuoteExpiresAt, p.PayUrl ?? "", $"/api/v1/payments/{p.Id}/qr.png");
        }
        return new PaymentView(p.Id, p.UserId, p.Method, p.Purpose, p.PurposeRef, Currencies.ToMajor(p.Amount, p.Currency), p.Currency,
            p.PayAmount, p.PayCurrency, p.Status, p.Reference, p.Method.IsManual() ? manual.Instructions(p) : null, p.PayUrl,
            p.ProviderPaymentId, p.ProofFileId, p.ProofKind, p.StatusReason, p.DecidedBy, p.CreatedAt, p.ExpiresAt, p.CompletedAt,
            p.RefundedAt, crypto);
    }
}
