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

/// <summary>
/// What else happens when any payment completes or is refunded, whatever its method or purpose (a referrer's
/// commission). Called from the one completion path (<see cref="PaymentService.CompleteAsync"/>) after the
/// fulfilment succeeded, and from the refund path after the reversal, in the same database transaction.
/// </summary>
public interface IPaymentListener
{
    /// <param name="externalRef">The completion's ledger reference: one per credit (a second crypto output has its own).</param>
    Task OnCompletedAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct);
    /// <param name="reversalRef">The refund attempt's ledger reference.</param>
    Task OnReversedAsync(Payment payment, string reversalRef, CancellationToken ct);
    /// <summary>The provider refused the refund and <paramref name="reversalRef"/> was undone: restore what it took back.</summary>
    Task OnReverseUndoneAsync(Payment payment, string reversalRef, CancellationToken ct);
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
