using System.Linq.Expressions;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Payments;

public enum PaymentMethod
{
    [JsonStringEnumMemberName("manual_bank")] ManualBank,
    [JsonStringEnumMemberName("manual_blik")] ManualBlik,
    [JsonStringEnumMemberName("btc")] Btc,
    [JsonStringEnumMemberName("ltc")] Ltc,
    [JsonStringEnumMemberName("stars")] Stars,
    [JsonStringEnumMemberName("stripe")] Stripe,
    [JsonStringEnumMemberName("robokassa")] Robokassa,
}

public enum PaymentPurpose
{
    [JsonStringEnumMemberName("wallet_topup")] WalletTopup,
    [JsonStringEnumMemberName("order")] Order,
    [JsonStringEnumMemberName("tariff")] Tariff,
    [JsonStringEnumMemberName("raffle")] Raffle,
}

public enum PaymentStatus
{
    [JsonStringEnumMemberName(PaymentStatusText.Api.Pending)] Pending,
    [JsonStringEnumMemberName(PaymentStatusText.Api.Completed)] Completed,
    [JsonStringEnumMemberName(PaymentStatusText.Api.Failed)] Failed,
    [JsonStringEnumMemberName(PaymentStatusText.Api.Cancelled)] Cancelled,
    [JsonStringEnumMemberName(PaymentStatusText.Api.Expired)] Expired,
    [JsonStringEnumMemberName(PaymentStatusText.Api.Refunded)] Refunded,
    /// <summary>A Stars refund under way: reversed in the ledger, Telegram not yet confirmed (COMPLETED → REFUNDING → REFUNDED, or back to COMPLETED).</summary>
    [JsonStringEnumMemberName(PaymentStatusText.Api.Refunding)] Refunding,
}

/// <summary>
/// The two spellings of each <see cref="PaymentStatus"/>, side by side: as stored (EF's conversion and any raw SQL)
/// and as the public API writes it (the enum's JSON names). The stored one predates the API's upper case, and
/// changing it would take a data migration, so both live here and nowhere else.
/// </summary>
public static class PaymentStatusText
{
    public const string Pending = "Pending";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";
    public const string Expired = "Expired";
    public const string Refunded = "Refunded";
    public const string Refunding = "Refunding";

    /// <summary>The public API's spelling (JSON and query filters).</summary>
    public static class Api
    {
        public const string Pending = "PENDING";
        public const string Completed = "COMPLETED";
        public const string Failed = "FAILED";
        public const string Cancelled = "CANCELLED";
        public const string Expired = "EXPIRED";
        public const string Refunded = "REFUNDED";
        public const string Refunding = "REFUNDING";
    }

    public static string Of(PaymentStatus s) => s switch
    {
        PaymentStatus.Pending => Pending,
        PaymentStatus.Completed => Completed,
        PaymentStatus.Failed => Failed,
        PaymentStatus.Cancelled => Cancelled,
        PaymentStatus.Expired => Expired,
        PaymentStatus.Refunded => Refunded,
        PaymentStatus.Refunding => Refunding,
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static PaymentStatus Parse(string s) => s switch
    {
        Pending => PaymentStatus.Pending,
        Completed => PaymentStatus.Completed,
        Failed => PaymentStatus.Failed,
        Cancelled => PaymentStatus.Cancelled,
        Expired => PaymentStatus.Expired,
        Refunded => PaymentStatus.Refunded,
        Refunding => PaymentStatus.Refunding,
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static string ApiName(PaymentStatus s) => s switch
    {
        PaymentStatus.Pending => Api.Pending,
        PaymentStatus.Completed => Api.Completed,
        PaymentStatus.Failed => Api.Failed,
        PaymentStatus.Cancelled => Api.Cancelled,
        PaymentStatus.Expired => Api.Expired,
        PaymentStatus.Refunded => Api.Refunded,
        PaymentStatus.Refunding => Api.Refunding,
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };
}

public static class PaymentMethods
{
    public static bool IsManual(this PaymentMethod m) => m is PaymentMethod.ManualBank or PaymentMethod.ManualBlik;

    /// <summary><see cref="IsManual"/> for EF queries, which cannot translate a method call (a test keeps the two equal).</summary>
    public static readonly Expression<Func<Payment, bool>> IsManualTransfer =
        p => p.Method == PaymentMethod.ManualBank || p.Method == PaymentMethod.ManualBlik;
    public static bool IsCrypto(this PaymentMethod m) => m is PaymentMethod.Btc or PaymentMethod.Ltc;

    /// <summary>The wire name (manual_bank, btc ...), also used in ledger account keys.</summary>
    public static string WireName(this PaymentMethod m) => m switch
    {
        PaymentMethod.ManualBank => "manual_bank",
        PaymentMethod.ManualBlik => "manual_blik",
        PaymentMethod.Btc => "btc",
        PaymentMethod.Ltc => "ltc",
        PaymentMethod.Stars => "stars",
        PaymentMethod.Stripe => "stripe",
        _ => "robokassa",
    };

    public static bool TryParse(string? s, out PaymentMethod method)
    {
        foreach (var m in Enum.GetValues<PaymentMethod>())
        {
            if (string.Equals(m.WireName(), s, StringComparison.OrdinalIgnoreCase) || string.Equals(m.ToString(), s, StringComparison.OrdinalIgnoreCase))
            {
                method = m;
                return true;
            }
        }
        method = default;
        return false;
    }
}

/// <summary>
/// One payment by any method. <see cref="Amount"/>/<see cref="Currency"/> is what the purpose receives (in
/// minor units); <see cref="PayAmount"/>/<see cref="PayCurrency"/> is what the provider is asked to charge
/// (satoshis for crypto, stars for Telegram Stars, else the same).
/// </summary>
public sealed class Payment
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public PaymentMethod Method { get; set; }
    public PaymentPurpose Purpose { get; set; }
    /// <summary>The order, tariff or raffle order id the payment is for; empty for a wallet top-up.</summary>
    public string? PurposeRef { get; set; }
    public long Amount { get; set; }
    public required string Currency { get; set; }
    public long PayAmount { get; set; }
    public required string PayCurrency { get; set; }
    public PaymentStatus Status { get; set; } = PaymentStatus.Pending;
    /// <summary>The provider's id: Stripe session, Stars charge id, Robokassa InvId. Unique per method.</summary>
    public string? ProviderPaymentId { get; set; }
    /// <summary>The human reference code of a manual transfer, to put in the transfer title.</summary>
    public string? Reference { get; set; }
    /// <summary>Where the user pays: the Stripe Checkout / Robokassa URL, the Stars invoice link, or the crypto address.</summary>
    public string? PayUrl { get; set; }
    public string? ProofFileId { get; set; }
    public string? ProofKind { get; set; }
    public DateTime? ProofAt { get; set; }
    public string? StatusReason { get; set; }
    public string? DecidedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime? RefundedAt { get; set; }
}

/// <summary>A provider's callback already handled (Stripe event id ...); the unique index makes handling once-only.</summary>
public sealed class PaymentEvent
{
    public long Id { get; set; }
    public required string Provider { get; set; }
    public required string EventId { get; set; }
    public long? PaymentId { get; set; }
    public DateTime ReceivedAt { get; set; }
}

internal sealed class PaymentMap : IEntityTypeConfiguration<Payment>
{
    public void Configure(EntityTypeBuilder<Payment> b)
    {
        b.ToTable("payments");
        b.Property(p => p.Method).HasConversion<string>().HasMaxLength(16);
        b.Property(p => p.Purpose).HasConversion<string>().HasMaxLength(16);
        b.Property(p => p.Status).HasConversion(s => PaymentStatusText.Of(s), s => PaymentStatusText.Parse(s)).HasMaxLength(16);
        b.Property(p => p.PurposeRef).HasMaxLength(64);
        b.Property(p => p.Currency).HasMaxLength(8);
        b.Property(p => p.PayCurrency).HasMaxLength(8);
        b.Property(p => p.ProviderPaymentId).HasMaxLength(200);
        b.Property(p => p.Reference).HasMaxLength(32);
        b.Property(p => p.PayUrl).HasMaxLength(1000);
        b.Property(p => p.ProofFileId).HasMaxLength(256);
        b.Property(p => p.ProofKind).HasMaxLength(16);
        b.Property(p => p.StatusReason).HasMaxLength(500);
        b.Property(p => p.DecidedBy).HasMaxLength(128);
        b.HasIndex(p => new { p.Method, p.ProviderPaymentId }).IsUnique();
        b.HasIndex(p => p.Reference).IsUnique();
        b.HasIndex(p => new { p.Status, p.Method, p.Id });
        b.HasIndex(p => new { p.UserId, p.Id });
        b.HasOne<Bazaar.Server.Data.ChatUser>().WithMany().HasForeignKey(p => p.UserId);
    }
}

internal sealed class PaymentEventMap : IEntityTypeConfiguration<PaymentEvent>
{
    public void Configure(EntityTypeBuilder<PaymentEvent> b)
    {
        b.ToTable("payment_events");
        b.Property(e => e.Provider).HasMaxLength(16);
        b.Property(e => e.EventId).HasMaxLength(200);
        b.HasIndex(e => new { e.Provider, e.EventId }).IsUnique();
    }
}
