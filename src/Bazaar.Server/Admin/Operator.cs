using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Admin;

/// <summary>A person who runs the shop from the dashboard.</summary>
public sealed class Operator
{
    public long Id { get; set; }
    public required string Username { get; set; }
    public required string PasswordHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastLoginAt { get; set; }
    /// <summary>owner, manager or support (<see cref="OperatorRoles"/>).</summary>
    public string Role { get; set; } = OperatorRoles.Support;
    /// <summary>Set by the owner; a disabled operator cannot sign in and their open sessions end.</summary>
    public DateTime? DisabledAt { get; set; }
    /// <summary>Wrong passwords since the last successful sign-in; at the limit the account is locked for a while.</summary>
    public int FailedSignIns { get; set; }
    public DateTime? LockedUntil { get; set; }
}

/// <summary>The dashboard roles, as stored in operators.Role.</summary>
public static class OperatorRoles
{
    public const string Owner = "owner";
    public const string Manager = "manager";
    public const string Support = "support";
    public static readonly string[] All = [Owner, Manager, Support];
    public static bool IsValid(string? role) => role is Owner or Manager or Support;
}

/// <summary>A key for the REST API. Only a SHA-256 hash of its secret part is stored.</summary>
public sealed class ApiKey
{
    public long Id { get; set; }
    public required string Name { get; set; }
    /// <summary>The public part of the key, used to find the row before the secret is compared.</summary>
    public required string KeyId { get; set; }
    public required string SecretHash { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

internal sealed class OperatorMap : IEntityTypeConfiguration<Operator>
{
    public void Configure(EntityTypeBuilder<Operator> b)
    {
        b.ToTable("operators");
        b.Property(o => o.Username).HasMaxLength(64);
        b.Property(o => o.PasswordHash).HasMaxLength(256);
        b.Property(o => o.Role).HasMaxLength(16).HasDefaultValue(OperatorRoles.Owner);
        b.HasIndex(o => o.Username).IsUnique();
    }
}

internal sealed class ApiKeyMap : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("api_keys");
        b.Property(k => k.Name).HasMaxLength(128);
        b.Property(k => k.KeyId).HasMaxLength(32);
        b.Property(k => k.SecretHash).HasMaxLength(64);
        b.Property(k => k.CreatedBy).HasMaxLength(64);
        b.HasIndex(k => k.KeyId).IsUnique();
    }
}
