using System.Globalization;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Requests;
using Telegram.Bot.Types.Payments;

namespace Bazaar.Server.Payments;

public sealed record PreCheckoutResult(bool Ok, string? ErrorCode, string? ErrorMessage);

public enum RefundOutcome { Refunded, NotFound, NotRefundable, InsufficientFunds, ProviderFailed }

/// <summary>
/// Telegram Stars: invoices in XTR with an empty provider token, the pre-checkout re-validation, completion keyed
/// by telegram_payment_charge_id, and operator refunds. The bot router calls these for pre_checkout_query and
/// successful_payment.
/// </summary>
public sealed class StarsPayments(BazaarDb db, PaymentService payments, ITelegramBotClient bot, Outbox outbox,
    IOptions<PaymentsOptions> options, TimeProvider clock, ILogger<StarsPayments> log)
{
    public const string PayloadPrefix = "pay:";

    public static string PayloadFor(long paymentId) => PayloadPrefix + paymentId.ToString(CultureInfo.InvariantCulture);

    public static long? PaymentIdOf(string? payload) =>
        payload is not null && payload.StartsWith(PayloadPrefix, StringComparison.Ordinal) &&
        long.TryParse(payload.AsSpan(PayloadPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    /// <summary>Stars for an amount of the shop currency, rounded up.</summary>
    public long StarsFor(long amountMinor, string currency) =>
        currency.Equals("XTR", StringComparison.OrdinalIgnoreCase)
            ? amountMinor
            : (long)decimal.Ceiling(Currencies.ToMajor(amountMinor, currency) * options.Value.Stars.StarsPerUnit);

    public Task<string> CreateInvoiceLinkAsync(Payment p, string title, string description, CancellationToken ct) =>
        bot.CreateInvoiceLink(title, description, PayloadFor(p.Id), "XTR", [new LabeledPrice(title, checked((int)p.PayAmount))],
            providerToken: "", cancellationToken: ct);

    /// <summary>Puts a sendInvoice into the outbox (saved with the caller's SaveChanges).</summary>
    public OutboxMessage EnqueueInvoice(ChatTarget to, Payment p, string title, string description) =>
        outbox.Enqueue(to, new SendInvoiceRequest
        {
            ChatId = long.TryParse(to.ChatId, out var id) ? id : to.ChatId,
            Title = title, Description = description, Payload = PayloadFor(p.Id), Currency = "XTR", ProviderToken = "",
            Prices = [new LabeledPrice(title, checked((int)p.PayAmount))],
        });

    /// <summary>Answers pre_checkout_query: the payment is still pending, the price unchanged and the purpose still available.</summary>
    public async Task<PreCheckoutResult> ValidatePreCheckoutAsync(string invoicePayload, long totalAmount, string currency, CancellationToken ct)
    {
        var id = PaymentIdOf(invoicePayload);
        var p = id is null ? null : await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.Method == PaymentMethod.Stars, ct);
        var lang = p is null ? null : await db.Users.Where(u => u.Id == p.UserId).Select(u => u.LanguageCode).FirstOrDefaultAsync(ct);
        var t = PaymentTexts.For(lang);
        if (p is null || p.Status != PaymentStatus.Pending) return new(false, "not_pending", t.NotPending);
        if (!currency.Equals("XTR", StringComparison.Ordinal) || totalAmount != p.PayAmount) return new(false, "price_changed", t.PriceChanged);
        var fulfilment = payments.FulfilmentFor(p.Purpose);
        if (fulfilment is null || await fulfilment.CheckAvailableAsync(p, ct) is not null) return new(false, "unavailable", t.Unavailable);
        return new(true, null, null);
    }

    /// <summary>successful_payment: completes the payment once, keyed by the charge id.</summary>
    public async Task<CompleteResult> CompleteStarsPaymentAsync(string telegramPaymentChargeId, string invoicePayload, long totalAmount, CancellationToken ct)
    {
        if (PaymentIdOf(invoicePayload) is not { } id) return new(CompleteOutcome.NotFound);
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.Method == PaymentMethod.Stars, ct);
        if (p is null) return new(CompleteOutcome.NotFound);
        if (totalAmount != p.PayAmount)
            log.LogWarning("Stars payment {Id} paid {Paid} stars, expected {Expected}", id, totalAmount, p.PayAmount);
        return await payments.CompleteAsync(id, telegramPaymentChargeId, ("stars", telegramPaymentChargeId), null, null, ct);
    }

    /// <summary>
    /// Reverses the fulfilment through the ledger and marks the payment REFUNDED, then asks Telegram to refund;
    /// the database transaction commits only if Telegram agreed. A wallet that no longer holds the money is refused.
    /// </summary>
    public async Task<RefundOutcome> RefundAsync(long paymentId, string by, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == paymentId, ct);
        if (p is null) return RefundOutcome.NotFound;
        if (p.Method != PaymentMethod.Stars || p.Status != PaymentStatus.Completed || p.ProviderPaymentId is null)
            return RefundOutcome.NotRefundable;
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == p.UserId, ct);
        if (!long.TryParse(user.ExternalId, out var telegramUserId)) return RefundOutcome.NotRefundable;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var n = await db.Payments.Where(x => x.Id == paymentId && x.Status == PaymentStatus.Completed)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, PaymentStatus.Refunded)
                .SetProperty(x => x.RefundedAt, clock.GetUtcNow().UtcDateTime).SetProperty(x => x.DecidedBy, by), ct);
        if (n == 0) return RefundOutcome.NotRefundable;
        var reversed = await payments.FulfilmentFor(p.Purpose)!.ReverseAsync(p, p.Amount, p.Currency, $"payment:{p.Id}:refund", ct);
        if (!reversed.Ok)
        {
            await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            return reversed.Error == PostError.InsufficientFunds ? RefundOutcome.InsufficientFunds : RefundOutcome.NotRefundable;
        }
        try
        {
            await bot.RefundStarPayment(telegramUserId, p.ProviderPaymentId, ct);
        }
        catch (Exception e) when (e is global::Telegram.Bot.Exceptions.ApiRequestException or HttpRequestException)
        {
            log.LogWarning(e, "Telegram refused to refund payment {Id}", paymentId);
            await tx.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            return RefundOutcome.ProviderFailed;
        }
        await payments.NotifyAsync(p.UserId, t => string.Format(t.Refunded, p.PayAmount + " ⭐"), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return RefundOutcome.Refunded;
    }
}
