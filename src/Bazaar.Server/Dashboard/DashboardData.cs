using Bazaar.Server.Dashboard;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Dashboard
{
    /// <summary>One state-changing action in the dashboard: who, what, on what, when, and the state before and after.</summary>
    public sealed class AuditEntry
    {
        public long Id { get; set; }
        public DateTime At { get; set; }
        public required string Actor { get; set; }
        public required string ActorRole { get; set; }
        /// <summary>What was done, e.g. deposit.approve, wallet.adjust, operator.disable.</summary>
        public required string Action { get; set; }
        /// <summary>What it was done to, e.g. payment:12, user:5, operator:3.</summary>
        public string? Target { get; set; }
        public string? Before { get; set; }
        public string? After { get; set; }
        public string? RemoteIp { get; set; }
    }

    /// <summary>A customer an operator blocked: the bot handles nothing of theirs until unblocked.</summary>
    public sealed class UserBan
    {
        public long UserId { get; set; }
        public required string Reason { get; set; }
        public required string By { get; set; }
        public DateTime At { get; set; }
    }

    internal sealed class AuditEntryMap : IEntityTypeConfiguration<AuditEntry>
    {
        public void Configure(EntityTypeBuilder<AuditEntry> b)
        {
            b.ToTable("audit_log");
            b.Property(a => a.Actor).HasMaxLength(64);
            b.Property(a => a.ActorRole).HasMaxLength(16);
            b.Property(a => a.Action).HasMaxLength(64);
            b.Property(a => a.Target).HasMaxLength(96);
            b.Property(a => a.Before).HasMaxLength(4000);
            b.Property(a => a.After).HasMaxLength(4000);
            b.Property(a => a.RemoteIp).HasMaxLength(64);
            b.HasIndex(a => a.At);
            b.HasIndex(a => new { a.Actor, a.Id });
        }
    }

    internal sealed class UserBanMap : IEntityTypeConfiguration<UserBan>
    {
        public void Configure(EntityTypeBuilder<UserBan> b)
        {
            b.ToTable("user_bans");
            b.HasKey(x => x.UserId);
            b.Property(x => x.Reason).HasMaxLength(500);
            b.Property(x => x.By).HasMaxLength(64);
            b.HasOne<Bazaar.Server.Data.ChatUser>().WithMany().HasForeignKey(x => x.UserId);
        }
    }
}

namespace Bazaar.Server.Data
{
    public abstract partial class BazaarDb
    {
        public DbSet<AuditEntry> AuditLog => Set<AuditEntry>();
        public DbSet<UserBan> UserBans => Set<UserBan>();
    }
}
