using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Bazaar.Server.Checks;

/// <summary>A credit package on sale: so many credits for a price in the shop currency and, optionally, in Stars.</summary>
public sealed class Tariff
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public long Credits { get; set; }
    /// <summary>Minor units of <see cref="Currency"/>.</summary>
    public long Price { get; set; }
    public required string Currency { get; set; }
    /// <summary>Whole Telegram Stars; null when the tariff is not sold for Stars.</summary>
    public long? StarsPrice { get; set; }
    public bool IsActive { get; set; } = true;
    public int SortOrder { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED; stored as those upper-case words.</summary>
public enum CheckStatus { Queued, Running, Completed, Failed, Cancelled }

/// <summary>Where a check reads the account's followers from.</summary>
public enum CheckSource { Export, Live }

/// <summary>One paid check of an account (the Instagram mutual-follow check), its job and its result counts.</summary>
public sealed class Check
{
    public long Id { get; set; }
    public long UserId { get; set; }
    /// <summary>The chat to notify when the check ends.</summary>
    public required string Channel { get; set; }
    public required string ChatId { get; set; }
    /// <summary>The Instagram username (without @); for an export, the account the archive says it is, once read.</summary>
    public string? Target { get; set; }
    public CheckSource Source { get; set; }
    /// <summary>The export ZIP's Telegram file id, downloaded by the job.</summary>
    public string? FileId { get; set; }
    public string? FileName { get; set; }
    public long? FileSize { get; set; }
    public CheckStatus Status { get; set; } = CheckStatus.Queued;
    public long? JobId { get; set; }
    /// <summary>Why it failed, in words for the user.</summary>
    public string? FailureReason { get; set; }
    public bool Refunded { get; set; }
    public int? Followers { get; set; }
    public int? Following { get; set; }
    public int? Mutual { get; set; }
    /// <summary>Followed by the account, not following it back.</summary>
    public int? NotFollowingBack { get; set; }
    /// <summary>Following the account, not followed back by it.</summary>
    public int? NotFollowedBack { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
}

public enum FollowDirection { NotFollowingBack, NotFollowedBack }

/// <summary>One non-mutual account of a check's result.</summary>
public sealed class CheckAccount
{
    public long Id { get; set; }
    public long CheckId { get; set; }
    public FollowDirection Direction { get; set; }
    public required string Username { get; set; }
    public string? FullName { get; set; }
    public required string ProfileUrl { get; set; }
}

public static class CheckWords
{
    public static string Status(CheckStatus s) => s.ToString().ToUpperInvariant();
    public static string Source(CheckSource s) => s == CheckSource.Export ? "export" : "live";
    public static string Direction(FollowDirection d) => d == FollowDirection.NotFollowingBack ? "not_following_back" : "not_followed_back";
}

internal sealed class CheckStatusConverter() : ValueConverter<CheckStatus, string>(
    v => CheckWords.Status(v), v => Enum.Parse<CheckStatus>(v, true));

internal sealed class CheckSourceConverter() : ValueConverter<CheckSource, string>(
    v => CheckWords.Source(v), v => Enum.Parse<CheckSource>(v, true));

internal sealed class FollowDirectionConverter() : ValueConverter<FollowDirection, string>(
    v => CheckWords.Direction(v), v => v == "not_following_back" ? FollowDirection.NotFollowingBack : FollowDirection.NotFollowedBack);

internal sealed class TariffMap : IEntityTypeConfiguration<Tariff>
{
    public void Configure(EntityTypeBuilder<Tariff> b)
    {
        b.ToTable("check_tariffs");
        b.Property(t => t.Name).HasMaxLength(100);
        b.Property(t => t.Currency).HasMaxLength(8);
        b.HasIndex(t => new { t.IsActive, t.SortOrder });
    }
}

internal sealed class CheckMap : IEntityTypeConfiguration<Check>
{
    public void Configure(EntityTypeBuilder<Check> b)
    {
        b.ToTable("checks");
        b.Property(c => c.Channel).HasMaxLength(16);
        b.Property(c => c.ChatId).HasMaxLength(64);
        b.Property(c => c.Target).HasMaxLength(64);
        b.Property(c => c.Source).HasConversion<CheckSourceConverter>().HasMaxLength(16);
        b.Property(c => c.Status).HasConversion<CheckStatusConverter>().HasMaxLength(16);
        b.Property(c => c.FileId).HasMaxLength(256);
        b.Property(c => c.FileName).HasMaxLength(256);
        b.Property(c => c.FailureReason).HasMaxLength(500);
        b.HasIndex(c => new { c.UserId, c.Id });
        b.HasIndex(c => c.JobId).IsUnique();
        b.HasOne<Bazaar.Server.Data.ChatUser>().WithMany().HasForeignKey(c => c.UserId);
    }
}

internal sealed class CheckAccountMap : IEntityTypeConfiguration<CheckAccount>
{
    public void Configure(EntityTypeBuilder<CheckAccount> b)
    {
        b.ToTable("check_accounts");
        b.Property(a => a.Direction).HasConversion<FollowDirectionConverter>().HasMaxLength(24);
        b.Property(a => a.Username).HasMaxLength(64);
        b.Property(a => a.FullName).HasMaxLength(200);
        b.Property(a => a.ProfileUrl).HasMaxLength(300);
        b.HasIndex(a => new { a.CheckId, a.Direction, a.Username }).IsUnique();
        b.HasOne<Check>().WithMany().HasForeignKey(a => a.CheckId).OnDelete(DeleteBehavior.Cascade);
    }
}
