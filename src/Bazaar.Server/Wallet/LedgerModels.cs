using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Wallet;

public enum AccountKind { Wallet, System }

/// <summary>
/// One account in one currency: a user's wallet (<c>wallet:{userId}</c>) or a system account
/// (<c>system:deposits:{method}</c>, <c>system:sales</c> ...). <see cref="Balance"/> caches the sum of its entries.
/// </summary>
public sealed class LedgerAccount
{
    public long Id { get; set; }
    public required string Key { get; set; }
    public required string Currency { get; set; }
    public AccountKind Kind { get; set; }
    public long? UserId { get; set; }
    /// <summary>Minor units; kept equal to the sum of the entries in the same transaction.</summary>
    public long Balance { get; set; }
    /// <summary>System accounts mirror money held outside (clearing, expense) and may go negative; wallets never.</summary>
    public bool AllowNegative { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>One balanced movement: its entries sum to zero per currency.</summary>
public sealed class LedgerTransaction
{
    public long Id { get; set; }
    public required string Kind { get; set; }
    /// <summary>Makes a posting idempotent: a second posting with the same reference is refused by a unique index.</summary>
    public string? ExternalRef { get; set; }
    public string? Description { get; set; }
    public string? Reason { get; set; }
    /// <summary>The operator or API key that made it, for manual adjustments.</summary>
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public List<LedgerEntry> Entries { get; set; } = [];
}

public sealed class LedgerEntry
{
    public long Id { get; set; }
    public long TransactionId { get; set; }
    public long AccountId { get; set; }
    public required string Currency { get; set; }
    /// <summary>Minor units; positive credits the account, negative debits it.</summary>
    public long Amount { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class LedgerAccountMap : IEntityTypeConfiguration<LedgerAccount>
{
    public void Configure(EntityTypeBuilder<LedgerAccount> b)
    {
        b.ToTable("ledger_accounts");
        b.Property(a => a.Key).HasMaxLength(96);
        b.Property(a => a.Currency).HasMaxLength(8);
        b.Property(a => a.Kind).HasConversion<string>().HasMaxLength(16);
        b.HasIndex(a => new { a.Key, a.Currency }).IsUnique();
        b.HasIndex(a => a.UserId);
    }
}

internal sealed class LedgerTransactionMap : IEntityTypeConfiguration<LedgerTransaction>
{
    public void Configure(EntityTypeBuilder<LedgerTransaction> b)
    {
        b.ToTable("ledger_transactions");
        b.Property(t => t.Kind).HasMaxLength(32);
        b.Property(t => t.ExternalRef).HasMaxLength(160);
        b.Property(t => t.Description).HasMaxLength(500);
        b.Property(t => t.Reason).HasMaxLength(500);
        b.Property(t => t.CreatedBy).HasMaxLength(128);
        b.HasIndex(t => t.ExternalRef).IsUnique();
        b.HasMany(t => t.Entries).WithOne().HasForeignKey(e => e.TransactionId);
    }
}

internal sealed class LedgerEntryMap : IEntityTypeConfiguration<LedgerEntry>
{
    public void Configure(EntityTypeBuilder<LedgerEntry> b)
    {
        b.ToTable("ledger_entries");
        b.Property(e => e.Currency).HasMaxLength(8);
        b.HasOne<LedgerAccount>().WithMany().HasForeignKey(e => e.AccountId);
        b.HasIndex(e => new { e.AccountId, e.Id });
    }
}
