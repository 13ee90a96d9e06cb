using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Payments;

public sealed record CreatePaymentRequest(long UserId, string Method, string? Purpose, string? PurposeRef, decimal Amount, string? Currency);

public sealed record CreateError(int Status, string Code, string Detail);

/// <summary>Creates a payment for a user and purpose, and readies it at its provider.</summary>
public sealed class PaymentCreator(BazaarDb db, IOptions<PaymentsOptions> options, IOptions<ShopCurrencyOptions> shop,
    PaymentService payments, CryptoPayments crypto, RateService rates, StripePayments stripe,
    RobokassaPayments robokassa, StarsPayments stars, TimeProvider clock, Operations.BazaarMetrics metrics, ILogger<PaymentCreator> log)
{
    public Task<(Payment? Payment, CreateError? Error)> CreateAsync(CreatePaymentRequest r, CancellationToken ct) =>
        CreateAsync(r, starsInvoiceLink: true, ct);

    /// <param name="starsInvoiceLink">False in a chat: the bot sends the Stars invoice itself (sendInvoice through the outbox).</param>
    public Task<(Payment? Payment, CreateError? Error)> CreateAsync(CreatePaymentRequest r, bool starsInvoiceLink, CancellationToken ct) =>
        CreateAsync(r, starsInvoiceLink, deferProvider: false, ct);

    /// <summary>
    /// For the bot, which runs inside the update processor's transaction: no outside call. Stripe and crypto
    /// payments are saved PENDING without their session or address; <see cref="PaymentPreparation"/> readies them.
    /// </summary>
    public Task<(Payment? Payment, CreateError? Error)> CreatePendingAsync(CreatePaymentRequest r, CancellationToken ct) =>
        CreateAsync(r, starsInvoiceLink: false, deferProvider: true, ct);

    /// <summary>True when the payment still needs <see cref="PaymentPreparation"/> before the user can pay.</summary>
    public static bool NeedsPreparation(Payment p) =>
        p.Status == PaymentStatus.Pending && p.PayUrl is null && (p.Method == PaymentMethod.Stripe || p.Method.IsCrypto());

    public static string Description(Payment p) =>
        p.Purpose switch
        {
            PaymentPurpose.WalletTopup => $"Wallet top-up {Currencies.Format(p.Amount, p.Currency)}",
            PaymentPurpose.Tariff => $"Check credits, tariff #{p.PurposeRef}",
            PaymentPurpose.Raffle => $"Raffle tickets, order #{p.PurposeRef}",
            _ => $"Payment #{p.PurposeRef}",
        };

    private async Task<(Payment? Payment, CreateError? Error)> CreateAsync(CreatePaymentRequest r, bool starsInvoiceLink, bool deferProvider,
        CancellationToken ct)
    {
        var created = await CreateCoreAsync(r, starsInvoiceLink, deferProvider, ct);
        if (created.Payment is { } p) metrics.PaymentAfterCommit(db, p.Method, PaymentStatus.Pending);
        return created;
    }

    private async Task<(Payment? Payment, CreateError? Error)> CreateCoreAsync(CreatePaymentRequest r, bool starsInvoiceLink, bool deferProvider,
        CancellationToken ct)
    {
        if (!PaymentMethods.TryParse(r.Method, out var method))
            return Fail(400, "unknown_method", "Method must be one of manual_bank, manual_blik, btc, ltc, stars, stripe, robokassa.");
        var purpose = PaymentPurpose.WalletTopup;
        if (r.Purpose is not null && !TryParsePurpose(r.Purpose, out purpose))
            return Fail(400, "unknown_purpose", "Purpose must be wallet_topup, order, tariff or raffle.");
        if (payments.FulfilmentFor(purpose) is null)
            return Fail(422, "purpose_not_supported", $"Payments for {r.Purpose} are not available yet.");
        if (options.Value.IsConfigured(method) && options.Value.IsSwitchedOff(method))
            return Fail(422, "method_switched_off", $"The {method.WireName()} method is switched off in the dashboard's settings.");
        if (!options.Value.IsEnabled(method))
            return Fail(422, "method_not_configured", $"The {method.WireName()} method is not configured.");
        var currency = Currencies.Normalize(r.Currency ?? shop.Value.Currency);
        if (!Currencies.TryToMinor(r.Amount, currency, out var amount) || amount <= 0)
            return Fail(400, "invalid_amount", "The amount must be positive, in a known currency, with at most its number of decimals.");
        if (method == PaymentMethod.Stripe && Currencies.Scale(currency) != 2)
            return Fail(422, "currency_not_supported", "Stripe payments here are in two-decimal currencies.");
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == r.UserId, ct);
        if (user is null) return Fail(404, "user_not_found", $"There is no chat user {r.UserId}.");

        var now = clock.GetUtcNow().UtcDateTime;
        var p = new Payment
        {
            UserId = r.UserId, Method = method, Purpose = purpose, PurposeRef = r.PurposeRef, Amount = amount, Currency = currency,
            PayAmount = amount, PayCurrency = currency, CreatedAt = now,
        };
        // An order (or tariff) payment must name something still payable at exactly this price.
        if (purpose != PaymentPurpose.WalletTopup && await payments.FulfilmentFor(purpose)!.CheckAvailableAsync(p, ct) is { } unavailable)
            return Fail(422, unavailable, $"The {r.Purpose} {r.PurposeRef} cannot be paid now ({unavailable}).");
        var description = Description(p);

        switch (method)
        {
            case var m when m.IsManual():
                for (var attempt = 0; ; attempt++)
                {
                    p.Reference = ManualTransfers.NewReference();
                    // A savepoint per attempt: on PostgreSQL a violation inside the caller's transaction would abort it.
                    await using var attemptTx = await PaymentsTransaction.BeginAsync(db, ct);
                    db.Payments.Add(p);
                    try
                    {
                        await db.SaveChangesAsync(ct);
                        await attemptTx.CommitAsync(ct);
                        break;
                    }
                    catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e) && attempt < 5)
                    {
                        db.Entry(p).State = Microsoft.EntityFrameworkCore.EntityState.Detached;
                        await attemptTx.RollbackAsync(ct);
                    }
                }
                return (p, null);

            case PaymentMethod.Btc or PaymentMethod.Ltc:
            {
                if (!CoinAddresses.IsValidXpub(CoinParams.For(method), crypto.CoinOptions(method).Xpub))
                {
                    log.LogError("Payments:Crypto:{Coin}:Xpub is not an extended public key this server can use", method);
                    return Fail(422, "method_misconfigured", $"The {method.WireName()} method is misconfigured; the operator has been told.");
                }
                if (deferProvider)
                {
                    // Quoted (rate, address, amount in coin) by the preparation job.
                    p.PayAmount = 0;
                    p.PayCurrency = CoinCode(method);
                    db.Payments.Add(p);
                    await db.SaveChangesAsync(ct);
                    return (p, null);
                }
                var rate = await rates.GetAsync(method, currency, ct);
                if (rate is null) return Fail(503, "rates_unavailable", "Exchange rates are unavailable; try again shortly.");
                await using var tx = await PaymentsTransaction.BeginAsync(db, ct);
                p.PayAmount = CryptoPayments.QuoteSats(amount, currency, rate.Value);
                db.Payments.Add(p);
                await db.SaveChangesAsync(ct);
                await QuoteAsync(p, rate.Value, ct);
                await tx.CommitAsync(ct);
                return (p, null);
            }

            case PaymentMethod.Robokassa:
                db.Payments.Add(p);
                await db.SaveChangesAsync(ct);
                p.ProviderPaymentId = p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
                p.PayUrl = robokassa.PaymentUrl(p, description);
                await db.SaveChangesAsync(ct);
                return (p, null);

            case PaymentMethod.Stripe:
                db.Payments.Add(p);
                await db.SaveChangesAsync(ct);
                if (deferProvider) return (p, null);
                try
                {
                    var session = await stripe.CreateSessionAsync(p, description, ct);
                    p.ProviderPaymentId = session.Id;
                    p.PayUrl = session.Url;
                    await db.SaveChangesAsync(ct);
                    return (p, null);
                }
                catch (Exception e) when (e is Stripe.StripeException or HttpRequestException)
                {
                    log.LogWarning(e, "Stripe refused a Checkout Session for payment {Id}", p.Id);
                    await payments.EndAsync(p.Id, PaymentStatus.Failed, "Stripe refused the checkout session", null, ct);
                    return Fail(502, "provider_unavailable", "Stripe did not create the checkout session.");
                }

            default: // Stars
                p.PayAmount = await payments.FulfilmentFor(purpose)!.StarsPriceAsync(p, ct) ?? stars.StarsFor(amount, currency);
                p.PayCurrency = "XTR";
                db.Payments.Add(p);
                await db.SaveChangesAsync(ct);
                if (!starsInvoiceLink) return (p, null);
                try
                {
                    p.PayUrl = await stars.CreateInvoiceLinkAsync(p, description, description, ct);
                    await db.SaveChangesAsync(ct);
                    return (p, null);
                }
                catch (Exception e) when (e is global::Telegram.Bot.Exceptions.ApiRequestException or HttpRequestException)
                {
                    log.LogWarning(e, "Telegram refused an invoice link for payment {Id}", p.Id);
                    await payments.EndAsync(p.Id, PaymentStatus.Failed, "Telegram refused the invoice", null, ct);
                    return Fail(502, "provider_unavailable", "Telegram did not create the invoice.");
                }
        }
    }

    public static string CoinCode(PaymentMethod coin) => coin == PaymentMethod.Ltc ? "LTC" : "BTC";

    /// <summary>
    /// Fixes a saved crypto payment's quote at <paramref name="rate"/> until its purpose's quote end (an order's
    /// reservation end, else Payments:Crypto:QuoteMinutes) and opens its deposit address. Runs inside the
    /// caller's transaction (the address counter is taken under a row lock); saves.
    /// </summary>
    public async Task<CryptoDeposit> QuoteAsync(Payment p, decimal rate, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var until = await payments.FulfilmentFor(p.Purpose)!.QuoteUntilAsync(p, ct) ?? now.AddMinutes(options.Value.Crypto.QuoteMinutes);
        p.PayAmount = CryptoPayments.QuoteSats(p.Amount, p.Currency, rate);
        p.PayCurrency = CoinCode(p.Method);
        p.ExpiresAt = until;
        await db.SaveChangesAsync(ct);
        var deposit = await crypto.OpenDepositAsync(p, rate, until, ct);
        p.PayUrl = CryptoPayments.Bip21(p.Method, deposit.Address, p.PayAmount);
        await db.SaveChangesAsync(ct);
        return deposit;
    }

    public static bool TryParsePurpose(string s, out PaymentPurpose purpose)
    {
        purpose = s.ToLowerInvariant() switch
        {
            "wallet_topup" or "wallettopup" => PaymentPurpose.WalletTopup,
            "order" => PaymentPurpose.Order,
            "tariff" => PaymentPurpose.Tariff,
            "raffle" => PaymentPurpose.Raffle,
            _ => (PaymentPurpose)(-1),
        };
        return Enum.IsDefined(purpose);
    }

    private static (Payment?, CreateError?) Fail(int status, string code, string detail) => (null, new CreateError(status, code, detail));
}
