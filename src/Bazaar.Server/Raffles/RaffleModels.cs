using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Raffles;

/// <summary>A raffle's stage, as stored (one spelling, shared by EF and raw SQL).</summary>
public static class RaffleStatus
{
    public const string Draft = "draft";
    /// <summary>Tickets are on sale.</summary>
    public const string Active = "active";
    /// <summary>Sales stopped; waiting for the draw.</summary>
    public const string Closed = "closed";
    public const string Drawn = "drawn";
    public static readonly string[] All = [Draft, Active, Closed, Drawn];
}

public static class TicketStatus
{
    public const string Available = "AVAILABLE";
    /// <summary>Held by an order until <see cref="RaffleTicket.HeldUntil"/> (null: held while the proof is reviewed); a lapsed hold counts as available.</summary>
    public const string Reserved = "RESERVED";
    public const string Sold = "SOLD";
    public static readonly string[] All = [Available, Reserved, Sold];
}

public static class RaffleOrderStatus
{
    /// <summary>Numbers held, the customer has not confirmed yet.</summary>
    public const string Draft = "DRAFT";
    /// <summary>Confirmed by the customer, waiting for the money (proof or online payment).</summary>
    public const string PendingPayment = "PENDING_PAYMENT";
    public const string Paid = "PAID";
    public const string Cancelled = "CANCELLED";
    public const string Expired = "EXPIRED";
    public static readonly string[] All = [Draft, PendingPayment, Paid, Cancelled, Expired];
    /// <summary>An order that holds its tickets (unless its hold has lapsed).</summary>
    public static bool IsLive(string s) => s is Draft or PendingPayment;
}

public sealed class Raffle
{
    public long Id { get; set; }
    public required string Title { get; set; }
    public string Description { get; set; } = "";
    public string Prize { get; set; } = "";
    /// <summary>Minor units of <see cref="Currency"/>.</summary>
    public long TicketPrice { get; set; }
    public required string Currency { get; set; }
    public int NumberFrom { get; set; } = 1;
    public int NumberTo { get; set; } = 100;
    public int MaxTicketsPerOrder { get; set; } = 10;
    public DateTime? DrawAt { get; set; }
    public string Status { get; set; } = RaffleStatus.Draft;
    public DateTime? TicketsGeneratedAt { get; set; }
    /// <summary>The provably fair draw (Giveaways/FairDraw): the SHA-256 commitment published before the draw, the seed after.</summary>
    public string? DrawCommitment { get; set; }
    public string? DrawSeed { get; set; }
    public string? ParticipantListHash { get; set; }
    public int? WinningNumber { get; set; }
    public long? WinningOrderId { get; set; }
    public DateTime? DrawnAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>Numbers are shown with as many digits as the largest one: 0007 of 1-1000.</summary>
    public string Format(int number) => number.ToString(new string('0', NumberTo.ToString(System.Globalization.CultureInfo.InvariantCulture).Length),
        System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>One numbered ticket of a raffle.</summary>
public sealed class RaffleTicket
{
    public long Id { get; set; }
    public long RaffleId { get; set; }
    public int Number { get; set; }
    public string Status { get; set; } = TicketStatus.Available;
    /// <summary>The order holding or owning the ticket.</summary>
    public long? OrderId { get; set; }
    public DateTime? HeldUntil { get; set; }
    public DateTime? SoldAt { get; set; }
}

public sealed class RaffleOrder
{
    public long Id { get; set; }
    public long RaffleId { get; set; }
    public long UserId { get; set; }
    public string Status { get; set; } = RaffleOrderStatus.Draft;
    /// <summary>The numbers, ascending, comma-separated (what the customer and the operator see).</summary>
    public string Numbers { get; set; } = "";
    public int TicketCount { get; set; }
    public long Amount { get; set; }
    public required string Currency { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>The hold lapses then; null once a proof is under review (an operator decides).</summary>
    public DateTime? ExpiresAt { get; set; }
    public DateTime? ConfirmedAt { get; set; }
    public DateTime? PaidAt { get; set; }
    public DateTime? ClosedAt { get; set; }
    /// <summary>"proof" or "online" once paid or under review.</summary>
    public string? PaidWith { get; set; }
    public long? PaymentId { get; set; }
    public string? ProofPath { get; set; }
    public string? ProofContentType { get; set; }
    public long? ProofBytes { get; set; }
    public DateTime? ProofAt { get; set; }
    public string? CancelReason { get; set; }
}

internal sealed class RaffleMaps : IEntityTypeConfiguration<Raffle>, IEntityTypeConfiguration<RaffleTicket>, IEntityTypeConfiguration<RaffleOrder>
{
    public void Configure(EntityTypeBuilder<Raffle> b)
    {
        b.ToTable("raffles");
        b.Property(x => x.Title).HasMaxLength(200);
        b.Property(x => x.Description).HasMaxLength(4000);
        b.Property(x => x.Prize).HasMaxLength(500);
        b.Property(x => x.Currency).HasMaxLength(8);
        b.Property(x => x.Status).HasMaxLength(16);
        b.Property(x => x.DrawCommitment).HasMaxLength(64);
        b.Property(x => x.DrawSeed).HasMaxLength(64);
        b.Property(x => x.ParticipantListHash).HasMaxLength(64);
        b.HasIndex(x => x.Status);
    }

    public void Configure(EntityTypeBuilder<RaffleTicket> b)
    {
        b.ToTable("raffle_tickets");
        b.Property(x => x.Status).HasMaxLength(16);
        b.HasOne<Raffle>().WithMany().HasForeignKey(x => x.RaffleId).OnDelete(DeleteBehavior.Cascade);
        // One ticket per number: generating twice at once cannot double the range.
        b.HasIndex(x => new { x.RaffleId, x.Number }).IsUnique();
        b.HasIndex(x => new { x.RaffleId, x.Status });
        b.HasIndex(x => x.OrderId);
    }

    public void Configure(EntityTypeBuilder<RaffleOrder> b)
    {
        b.ToTable("raffle_orders");
        b.Property(x => x.Status).HasMaxLength(16);
        b.Property(x => x.Numbers).HasMaxLength(8000);
        b.Property(x => x.Currency).HasMaxLength(8);
        b.Property(x => x.PaidWith).HasMaxLength(16);
        b.Property(x => x.ProofPath).HasMaxLength(500);
        b.Property(x => x.ProofContentType).HasMaxLength(100);
        b.Property(x => x.CancelReason).HasMaxLength(500);
        b.HasOne<Raffle>().WithMany().HasForeignKey(x => x.RaffleId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<ChatUser>().WithMany().HasForeignKey(x => x.UserId);
        b.HasIndex(x => new { x.Status, x.ExpiresAt });
        b.HasIndex(x => new { x.RaffleId, x.Status });
        b.HasIndex(x => new { x.UserId, x.Id });
        // One live order per customer and raffle, even when two messages race.
        b.HasIndex(x => new { x.RaffleId, x.UserId }).IsUnique()
            .HasFilter($"\"Status\" IN ('{RaffleOrderStatus.Draft}', '{RaffleOrderStatus.PendingPayment}')").HasDatabaseName("IX_raffle_orders_live");
    }
}
