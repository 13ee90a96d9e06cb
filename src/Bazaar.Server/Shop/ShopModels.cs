using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Shop;

/// <summary>What a product is, as stored (one spelling, shared by EF and raw SQL).</summary>
public static class ProductKind
{
    /// <summary>One physical thing with its own delivery details (photo, coordinates or address, description).</summary>
    public const string UniqueItem = "unique_item";
    /// <summary>A key or file from a stock of them, one per sale.</summary>
    public const string Digital = "digital";
    /// <summary>Credits for paid checks; unlimited.</summary>
    public const string CreditPack = "credit_pack";
    /// <summary>An entitlement for N days, optionally to a private channel; unlimited.</summary>
    public const string Subscription = "subscription";

    public static readonly string[] All = [UniqueItem, Digital, CreditPack, Subscription];
    /// <summary>Kinds sold from stock units; the others have no stock limit.</summary>
    public static bool HasStock(string kind) => kind is UniqueItem or Digital;
}

public static class UnitStatus
{
    public const string Available = "available";
    /// <summary>Held by a reservation until <see cref="StockUnit.HeldUntil"/>; after that it counts as available.</summary>
    public const string Reserved = "reserved";
    public const string Sold = "sold";
    public static readonly string[] All = [Available, Reserved, Sold];
}

public static class ReservationStatus
{
    public const string Active = "active";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";
}

public static class OrderStatus
{
    public const string Paid = "paid";
    public const string Refunded = "refunded";
    public static readonly string[] All = [Paid, Refunded];
}

public sealed class Category
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public int Position { get; set; }
}

/// <summary>A city (no parent) or a district of a city.</summary>
public sealed class Location
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public long? ParentId { get; set; }
    public int Position { get; set; }
}

public sealed class Product
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public required string Kind { get; set; }
    public long? CategoryId { get; set; }
    /// <summary>A district (or a city) where the product is offered; null when the shop has no locations.</summary>
    public long? LocationId { get; set; }
    /// <summary>Minor units of the shop currency.</summary>
    public long BasePrice { get; set; }
    public int DiscountPercent { get; set; }
    public DateTime? DiscountStartsAt { get; set; }
    public DateTime? DiscountEndsAt { get; set; }
    public bool IsActive { get; set; } = true;
    /// <summary>Credit pack: how many credits it grants.</summary>
    public long? Credits { get; set; }
    /// <summary>Subscription: days of entitlement per purchase.</summary>
    public int? SubscriptionDays { get; set; }
    /// <summary>Subscription: what a gated route asks for (e.g. "vip").</summary>
    public string? EntitlementKey { get; set; }
    /// <summary>Subscription: the private channel or group the buyer is invited to (chat id).</summary>
    public string? ChannelChatId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public List<ProductPhoto> Photos { get; set; } = [];
}

/// <summary>A product photo: an http URL or Telegram file id, or bytes stored here (served at /api/v1/catalog/photos/{id}).</summary>
public sealed class ProductPhoto
{
    public long Id { get; set; }
    public long ProductId { get; set; }
    public int Position { get; set; }
    public string? Url { get; set; }
    public string? ContentType { get; set; }
    public byte[]? Content { get; set; }
}

/// <summary>One unit of stock: a unique item with its delivery details, or one key or file.</summary>
public sealed class StockUnit
{
    public long Id { get; set; }
    public long ProductId { get; set; }
    public string Status { get; set; } = UnitStatus.Available;
    public long? ReservationId { get; set; }
    public DateTime? HeldUntil { get; set; }
    public long? OrderId { get; set; }
    /// <summary>Digital: the key or code.</summary>
    public string? Secret { get; set; }
    /// <summary>Digital: a file to send (file id or URL).</summary>
    public string? FileUrl { get; set; }
    /// <summary>Unique item: where and what, shown only to the buyer.</summary>
    public string? PhotoUrl { get; set; }
    public double? Latitude { get; set; }
    public double? Longitude { get; set; }
    public string? Address { get; set; }
    public string? Details { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SoldAt { get; set; }
}

/// <summary>A hold on one unit (or, for unlimited kinds, on the price) for Shop:ReservationMinutes, with its price quote.</summary>
public sealed class Reservation
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public long ProductId { get; set; }
    public long? UnitId { get; set; }
    /// <summary>1..Shop:MaxActiveReservations; unique per user among active reservations, so the limit holds under races.</summary>
    public int Slot { get; set; }
    public string Status { get; set; } = ReservationStatus.Active;
    public long OriginalPrice { get; set; }
    public int DiscountPercent { get; set; }
    public long FinalPrice { get; set; }
    public required string Currency { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? ClosedAt { get; set; }
}

public sealed class Order
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public long ProductId { get; set; }
    public required string ProductName { get; set; }
    public required string Kind { get; set; }
    public long? UnitId { get; set; }
    public long ReservationId { get; set; }
    public long OriginalPrice { get; set; }
    public int DiscountPercent { get; set; }
    public long DiscountAmount { get; set; }
    public long FinalPrice { get; set; }
    public required string Currency { get; set; }
    public string Status { get; set; } = OrderStatus.Paid;
    /// <summary>"wallet", or the payment method that paid it directly (stars, stripe).</summary>
    public required string PaidWith { get; set; }
    public long? PaymentId { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>A user's right to a subscription's key (and its channel) until <see cref="ExpiresAt"/>.</summary>
public sealed class Entitlement
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required string Key { get; set; }
    public long ProductId { get; set; }
    public string? ChannelChatId { get; set; }
    public DateTime StartsAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? RenewalNotifiedAt { get; set; }
    /// <summary>Set when expiry removed the member; cleared by a renewal.</summary>
    public DateTime? EndedAt { get; set; }
    public string? InviteLink { get; set; }
}

internal sealed class ShopMaps :
    IEntityTypeConfiguration<Category>, IEntityTypeConfiguration<Location>, IEntityTypeConfiguration<Product>,
    IEntityTypeConfiguration<ProductPhoto>, IEntityTypeConfiguration<StockUnit>, IEntityTypeConfiguration<Reservation>,
    IEntityTypeConfiguration<Order>, IEntityTypeConfiguration<Entitlement>
{
    public void Configure(EntityTypeBuilder<Category> b)
    {
        b.ToTable("shop_categories");
        b.Property(x => x.Name).HasMaxLength(100);
    }

    public void Configure(EntityTypeBuilder<Location> b)
    {
        b.ToTable("shop_locations");
        b.Property(x => x.Name).HasMaxLength(100);
        b.HasOne<Location>().WithMany().HasForeignKey(x => x.ParentId);
    }

    public void Configure(EntityTypeBuilder<Product> b)
    {
        b.ToTable("shop_products");
        b.Property(x => x.Name).HasMaxLength(200);
        b.Property(x => x.Description).HasMaxLength(4000);
        b.Property(x => x.Kind).HasMaxLength(16);
        b.Property(x => x.EntitlementKey).HasMaxLength(64);
        b.Property(x => x.ChannelChatId).HasMaxLength(64);
        b.HasOne<Category>().WithMany().HasForeignKey(x => x.CategoryId);
        b.HasOne<Location>().WithMany().HasForeignKey(x => x.LocationId);
        b.HasMany(x => x.Photos).WithOne().HasForeignKey(p => p.ProductId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => new { x.IsActive, x.LocationId, x.CategoryId });
    }

    public void Configure(EntityTypeBuilder<ProductPhoto> b)
    {
        b.ToTable("shop_product_photos");
        b.Property(x => x.Url).HasMaxLength(1000);
        b.Property(x => x.ContentType).HasMaxLength(64);
        b.HasIndex(x => new { x.ProductId, x.Position });
    }

    public void Configure(EntityTypeBuilder<StockUnit> b)
    {
        b.ToTable("shop_stock_units");
        b.Property(x => x.Status).HasMaxLength(16);
        b.Property(x => x.Secret).HasMaxLength(2000);
        b.Property(x => x.FileUrl).HasMaxLength(1000);
        b.Property(x => x.PhotoUrl).HasMaxLength(1000);
        b.Property(x => x.Address).HasMaxLength(500);
        b.Property(x => x.Details).HasMaxLength(2000);
        b.HasOne<Product>().WithMany().HasForeignKey(x => x.ProductId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(x => new { x.ProductId, x.Status, x.Id });
        // A unit is sold to one order at most.
        b.HasIndex(x => x.OrderId).IsUnique();
    }

    public void Configure(EntityTypeBuilder<Reservation> b)
    {
        b.ToTable("shop_reservations");
        b.Property(x => x.Status).HasMaxLength(16);
        b.Property(x => x.Currency).HasMaxLength(8);
        b.HasOne<ChatUser>().WithMany().HasForeignKey(x => x.UserId);
        b.HasOne<Product>().WithMany().HasForeignKey(x => x.ProductId);
        // At most Shop:MaxActiveReservations per user, even when two reserve at once: each active hold takes a slot.
        b.HasIndex(x => new { x.UserId, x.Slot }).IsUnique().HasFilter($"\"Status\" = '{ReservationStatus.Active}'");
        b.HasIndex(x => new { x.Status, x.ExpiresAt });
    }

    public void Configure(EntityTypeBuilder<Order> b)
    {
        b.ToTable("shop_orders");
        b.Property(x => x.ProductName).HasMaxLength(200);
        b.Property(x => x.Kind).HasMaxLength(16);
        b.Property(x => x.Currency).HasMaxLength(8);
        b.Property(x => x.Status).HasMaxLength(16);
        b.Property(x => x.PaidWith).HasMaxLength(16);
        b.HasOne<ChatUser>().WithMany().HasForeignKey(x => x.UserId);
        b.HasOne<Product>().WithMany().HasForeignKey(x => x.ProductId);
        // One order per reservation and per unit: a second confirm of the same hold cannot make a second order.
        b.HasIndex(x => x.ReservationId).IsUnique();
        b.HasIndex(x => x.UnitId).IsUnique();
        b.HasIndex(x => new { x.UserId, x.Id });
        b.HasIndex(x => x.CreatedAt);
    }

    public void Configure(EntityTypeBuilder<Entitlement> b)
    {
        b.ToTable("shop_entitlements");
        b.Property(x => x.Key).HasMaxLength(64);
        b.Property(x => x.ChannelChatId).HasMaxLength(64);
        b.Property(x => x.InviteLink).HasMaxLength(500);
        b.HasOne<ChatUser>().WithMany().HasForeignKey(x => x.UserId);
        b.HasIndex(x => new { x.UserId, x.Key }).IsUnique();
        b.HasIndex(x => x.ExpiresAt);
    }
}
