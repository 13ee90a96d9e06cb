using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Payments;

/// <summary>The receiving address of one crypto payment and the quote the user was shown.</summary>
public sealed class CryptoDeposit
{
    public long Id { get; set; }
    public long PaymentId { get; set; }
    /// <summary>btc or ltc.</summary>
    public required string Coin { get; set; }
    public required string Address { get; set; }
    public long DerivationIndex { get; set; }
    /// <summary>Shop currency per whole coin when quoted. Never compared in SQL.</summary>
    public decimal QuotedRate { get; set; }
    public DateTime QuoteExpiresAt { get; set; }
    public DateTime WatchUntil { get; set; }
    /// <summary>False once the payment is settled or expired; only open addresses are polled.</summary>
    public bool Open { get; set; } = true;
}

/// <summary>An output paying a deposit address, from first sight to credit. (Coin, Txid, Vout) is credited once.</summary>
public sealed class CryptoTransfer
{
    public long Id { get; set; }
    public long PaymentId { get; set; }
    public required string Coin { get; set; }
    public required string Txid { get; set; }
    public int Vout { get; set; }
    public required string Address { get; set; }
    public long AmountSats { get; set; }
    /// <summary>The rate that applies: the quoted one if first seen before the quote expired, else the market rate at first sight.</summary>
    public decimal Rate { get; set; }
    /// <summary>First seen after the quote expired: credited at the rate then, and flagged for the operator.</summary>
    public bool Late { get; set; }
    public DateTime FirstSeenAt { get; set; }
    public int Confirmations { get; set; }
    public long? CreditedAmount { get; set; }
    public DateTime? CreditedAt { get; set; }
}

/// <summary>The next derivation index per coin; incremented under a row lock, so an index is never handed out twice.</summary>
public sealed class CryptoAddressCounter
{
    public required string Coin { get; set; }
    public long NextIndex { get; set; }
}

internal sealed class CryptoDepositMap : IEntityTypeConfiguration<CryptoDeposit>
{
    public void Configure(EntityTypeBuilder<CryptoDeposit> b)
    {
        b.ToTable("crypto_deposits");
        b.Property(d => d.Coin).HasMaxLength(8);
        b.Property(d => d.Address).HasMaxLength(128);
        b.Property(d => d.QuotedRate).HasPrecision(28, 10);
        b.HasIndex(d => d.PaymentId).IsUnique();
        b.HasIndex(d => new { d.Coin, d.DerivationIndex }).IsUnique();
        b.HasIndex(d => new { d.Coin, d.Address }).IsUnique();
        b.HasIndex(d => d.Open);
        b.HasOne<Payment>().WithMany().HasForeignKey(d => d.PaymentId);
    }
}

internal sealed class CryptoTransferMap : IEntityTypeConfiguration<CryptoTransfer>
{
    public void Configure(EntityTypeBuilder<CryptoTransfer> b)
    {
        b.ToTable("crypto_transfers");
        b.Property(t => t.Coin).HasMaxLength(8);
        b.Property(t => t.Txid).HasMaxLength(80);
        b.Property(t => t.Address).HasMaxLength(128);
        b.Property(t => t.Rate).HasPrecision(28, 10);
        b.HasIndex(t => new { t.Coin, t.Txid, t.Vout }).IsUnique();
        b.HasIndex(t => t.PaymentId);
        b.HasOne<Payment>().WithMany().HasForeignKey(t => t.PaymentId);
    }
}

internal sealed class CryptoAddressCounterMap : IEntityTypeConfiguration<CryptoAddressCounter>
{
    public void Configure(EntityTypeBuilder<CryptoAddressCounter> b)
    {
        b.ToTable("crypto_address_counters");
        b.HasKey(c => c.Coin);
        b.Property(c => c.Coin).HasMaxLength(8);
    }
}
