using Bazaar.Server.Wallet;

namespace Bazaar.Server.Payments;

/// <summary>
/// What a completed payment does for its purpose. Runs inside the completion's database transaction,
/// so the purpose is fulfilled exactly when the payment turns COMPLETED. Orders and tariffs add theirs later.
/// </summary>
public interface IPaymentFulfilment
{
    PaymentPurpose Purpose { get; }
    /// <summary>Null when the purpose can still be paid for, else a stable error code (e.g. sold_out).</summary>
    Task<string?> CheckAvailableAsync(Payment payment, CancellationToken ct);
    /// <summary>A fixed price in Stars for the purpose (a tariff's), instead of converting the amount; null converts.</summary>
    Task<long?> StarsPriceAsync(Payment payment, CancellationToken ct) => Task.FromResult<long?>(null);
    /// <summary>
    /// Until when a quote in another currency (a crypto amount) is held: an order's reservation end. Null uses
    /// Payments:Crypto:QuoteMinutes. A payment first seen after it is valued at the market rate then (re-quoted).
    /// </summary>
    Task<DateTime?> QuoteUntilAsync(Payment payment, CancellationToken ct) => Task.FromResult<DateTime?>(null);
    Task<PostResult> FulfilAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct);
    Task<PostResult> ReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct);
    /// <summary>Undoes a <see cref="ReverseAsync"/> whose provider refund failed: the exact opposite posting.</summary>
    Task<PostResult> UndoReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct);
}

internal sealed class WalletTopupFulfilment(Ledger ledger) : IPaymentFulfilment
{
    public PaymentPurpose Purpose => PaymentPurpose.WalletTopup;

    public Task<string?> CheckAvailableAsync(Payment payment, CancellationToken ct) => Task.FromResult<string?>(null);

    public Task<PostResult> FulfilAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        ledger.PostAsync(new Posting("deposit", currency,
            [new Leg(AccountRef.DepositsClearing(payment.Method.WireName()), -amount), new Leg(AccountRef.Wallet(payment.UserId), amount)])
        {
            ExternalRef = externalRef, Description = $"Deposit #{payment.Id} ({payment.Method.WireName()})",
        }, ct);

    public Task<PostResult> ReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        ledger.PostAsync(new Posting("refund", currency,
            [new Leg(AccountRef.Wallet(payment.UserId), -amount), new Leg(AccountRef.Refunds, amount)])
        {
            ExternalRef = externalRef, Description = $"Refund of deposit #{payment.Id} ({payment.Method.WireName()})",
        }, ct);

    public Task<PostResult> UndoReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        ledger.PostAsync(new Posting("refund_undo", currency,
            [new Leg(AccountRef.Refunds, -amount), new Leg(AccountRef.Wallet(payment.UserId), amount)])
        {
            ExternalRef = externalRef, Description = $"Refund of deposit #{payment.Id} failed at the provider; credit restored",
        }, ct);
}
