using System.Buffers.Binary;
using System.IO.Compression;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Shop;

/// <summary>
/// A catalog to play with in the sandbox: two cities with districts, three categories, a dozen products with
/// generated photos, some discounted, a digital key product and a subscription (gated /vip).
/// </summary>
internal sealed class ShopDemoSeed(TimeProvider clock) : IDemoSeed
{
    public async Task SeedAsync(BazaarDb db, CancellationToken ct)
    {
        if (await db.Products.AnyAsync(ct) || await db.ShopLocations.AnyAsync(ct)) return;
        var now = clock.GetUtcNow().UtcDateTime;

        var warsaw = new Location { Name = "Warsaw", Position = 1 };
        var krakow = new Location { Name = "Kraków", Position = 2 };
        db.ShopLocations.AddRange(warsaw, krakow);
        await db.SaveChangesAsync(ct);
        var mokotow = new Location { Name = "Mokotów", ParentId = warsaw.Id, Position = 1 };
        var praga = new Location { Name = "Praga", ParentId = warsaw.Id, Position = 2 };
        var oldTown = new Location { Name = "Old Town", ParentId = krakow.Id, Position = 1 };
        var kazimierz = new Location { Name = "Kazimierz", ParentId = krakow.Id, Position = 2 };
        var coffee = new Category { Name = "☕ Coffee & tea", Position = 1 };
        var vintage = new Category { Name = "📻 Vintage finds", Position = 2 };
        var digital = new Category { Name = "💾 Digital", Position = 3 };
        db.ShopLocations.AddRange(mokotow, praga, oldTown, kazimierz);
        db.ShopCategories.AddRange(coffee, vintage, digital);
        await db.SaveChangesAsync(ct);

        var n = 0;
        var pending = new List<(Product Product, StockUnit Unit)>();
        Product Item(string name, string desc, long price, Location loc, Category cat, int discount, uint color, params (string Details, string Address, double Lat, double Lon)[] units)
        {
            var p = new Product
            {
                Name = name, Description = desc, Kind = ProductKind.UniqueItem, BasePrice = price, LocationId = loc.Id, CategoryId = cat.Id,
                DiscountPercent = discount, CreatedAt = now, UpdatedAt = now,
                Photos = [new ProductPhoto { Position = 0, ContentType = "image/png", Content = DemoPng.Make(320, 200, color, n++) }],
            };
            db.Products.Add(p);
            foreach (var u in units)
                pending.Add((p, new StockUnit { Details = u.Details, Address = u.Address, Latitude = u.Lat, Longitude = u.Lon, CreatedAt = now }));
            return p;
        }

        Item("Ethiopia Yirgacheffe, 250 g", "Freshly roasted light beans: jasmine, lemon, honey.", 1490, mokotow, coffee, 0, 0xC0803Au,
            ("Brown paper bag on the shelf by the door, code 1123", "Puławska 24, café counter", 52.2005, 21.0165),
            ("Brown paper bag, code 1124", "Puławska 24, café counter", 52.2005, 21.0165),
            ("Brown paper bag, code 1125", "Puławska 24, café counter", 52.2005, 21.0165));
        Item("Colombia Huila, 250 g", "Medium roast: caramel, cherry, cocoa.", 1290, praga, coffee, 20, 0x8A5A2Bu,
            ("Bag with a green sticker", "Ząbkowska 27, ask for Marta", 52.2520, 21.0400),
            ("Bag with a green sticker", "Ząbkowska 27, ask for Marta", 52.2520, 21.0400));
        Item("Matcha set", "Ceremonial grade matcha, whisk and bowl.", 3900, oldTown, coffee, 15, 0x6FA34Au,
            ("Wooden box, ribbon", "Floriańska 12, tea shop", 50.0640, 19.9396));
        Item("Gooseneck kettle", "Barely used 1 l kettle, thermometer in the lid.", 4500, kazimierz, coffee, 0, 0x5A5F66u,
            ("Black kettle in a box", "Szeroka 6, ring 3", 50.0520, 19.9470));
        Item("Soviet film camera Zenit-E", "Working, with Helios-44 lens and leather case.", 7900, praga, vintage, 10, 0x3B3B3Bu,
            ("Camera in a leather case", "Targowa 56, stall 14", 52.2500, 21.0370));
        Item("Vinyl: Polish jazz 1965", "Original pressing, sleeve very good.", 5500, mokotow, vintage, 0, 0x1E3D7Bu,
            ("Record in a paper bag", "Rakowiecka 41, record shop", 52.2030, 21.0040));
        Item("Brass desk lamp", "1950s, rewired, warm light.", 12000, oldTown, vintage, 25, 0xB8922Eu,
            ("Lamp wrapped in newspaper", "Grodzka 30, antiques", 50.0580, 19.9380));
        Item("Typewriter Łucznik", "Portable, Polish keyboard, new ribbon.", 9900, kazimierz, vintage, 0, 0x7B1E1Eu,
            ("Typewriter in its case", "Józefa 11, basement", 50.0505, 19.9455));

        var key = new Product
        {
            Name = "Indie game Steam key", Description = "A key for a cosy indie game, redeem on Steam.", Kind = ProductKind.Digital, BasePrice = 999,
            CategoryId = digital.Id, DiscountPercent = 30, CreatedAt = now, UpdatedAt = now,
            Photos = [new ProductPhoto { Position = 0, ContentType = "image/png", Content = DemoPng.Make(320, 200, 0x2E7DD7u, n++) }],
        };
        db.Products.Add(key);
        for (var i = 1; i <= 8; i++) pending.Add((key, new StockUnit { Secret = $"DEMO-{i:D2}AB-CDEF-{1000 + i}", CreatedAt = now }));
        db.Products.Add(new Product
        {
            Name = "Photo preset pack", Description = "20 Lightroom presets as a zip file.", Kind = ProductKind.Digital, BasePrice = 500,
            CategoryId = digital.Id, CreatedAt = now, UpdatedAt = now,
            Photos = [new ProductPhoto { Position = 0, ContentType = "image/png", Content = DemoPng.Make(320, 200, 0xD72E7Du, n++) }],
        });
        db.Products.Add(new Product
        {
            Name = "VIP club, 30 days", Description = "Members' corner in the bot (/vip) and early access to new drops.", Kind = ProductKind.Subscription,
            BasePrice = 700, CategoryId = digital.Id, SubscriptionDays = 30, EntitlementKey = "vip", CreatedAt = now, UpdatedAt = now,
            Photos = [new ProductPhoto { Position = 0, ContentType = "image/png", Content = DemoPng.Make(320, 200, 0xE0B000u, n++) }],
        });
        db.Products.Add(new Product
        {
            Name = "Espresso cups, pair", Description = "Handmade porcelain, 80 ml.", Kind = ProductKind.UniqueItem, BasePrice = 2400,
            LocationId = mokotow.Id, CategoryId = coffee.Id, CreatedAt = now, UpdatedAt = now,
            Photos = [new ProductPhoto { Position = 0, ContentType = "image/png", Content = DemoPng.Make(320, 200, 0xEEEEEEu, n++) }],
        }); // sold out: no units, to show how that looks
        await db.SaveChangesAsync(ct);
        foreach (var (product, unit) in pending)
        {
            unit.ProductId = product.Id;
            db.StockUnits.Add(unit);
        }
        await db.SaveChangesAsync(ct);
    }
}

/// <summary>Small PNGs made in code (a diagonal gradient with stripes), so the demo needs no image files.</summary>
public static class DemoPng
{
    public static byte[] Make(int width, int height, uint rgb, int seed)
    {
        byte r0 = (byte)(rgb >> 16), g0 = (byte)(rgb >> 8), b0 = (byte)rgb;
        var raw = new byte[(width * 3 + 1) * height];
        var i = 0;
        for (var y = 0; y < height; y++)
        {
            raw[i++] = 0;
            for (var x = 0; x < width; x++)
            {
                var shade = 0.6 + 0.4 * (x + y) / (width + height);
                var stripe = ((x + y + seed * 7) / 24 % 2 == 0) ? 1.0 : 0.9;
                raw[i++] = (byte)Math.Min(255, r0 * shade * stripe + 20);
                raw[i++] = (byte)Math.Min(255, g0 * shade * stripe + 20);
                raw[i++] = (byte)Math.Min(255, b0 * shade * stripe + 20);
            }
        }
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", idat.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        var crc = Crc(Crc(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }

    private static uint Crc(uint c, byte[] bytes)
    {
        foreach (var b in bytes)
        {
            c ^= b;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return c;
    }
}
