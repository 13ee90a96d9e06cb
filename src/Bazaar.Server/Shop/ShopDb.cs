using Bazaar.Server.Shop;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

public abstract partial class BazaarDb
{
    public DbSet<Category> ShopCategories => Set<Category>();
    public DbSet<Location> ShopLocations => Set<Location>();
    public DbSet<Product> Products => Set<Product>();
    public DbSet<ProductPhoto> ProductPhotos => Set<ProductPhoto>();
    public DbSet<StockUnit> StockUnits => Set<StockUnit>();
    public DbSet<Reservation> Reservations => Set<Reservation>();
    public DbSet<Order> Orders => Set<Order>();
    public DbSet<Entitlement> Entitlements => Set<Entitlement>();
}
