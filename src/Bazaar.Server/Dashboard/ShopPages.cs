using System.Globalization;
using System.Text;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using static Bazaar.Server.Dashboard.ApiCalls;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// The shop: products with filters, create/edit with a photo, stock units and key import, bulk discount and (de)activation,
/// orders and sending a delivery again. Every change goes through the shop's own API handlers and services.
/// </summary>
internal static class ShopPages
{
    public const int PageSize = 25;
    public const long MaxPhotoBytes = 5 * 1024 * 1024;
    public const long MaxKeyFileBytes = 16 * 1024 * 1024;
    private static readonly string[] PhotoTypes = ["image/png", "image/jpeg", "image/webp", "image/gif"];

    private static string Cur(IOptions<ShopOptions> o) => Currencies.Normalize(o.Value.Currency);

    /// <summary>The price as the customer sees it: struck through when a discount is running now.</summary>
    public static string PriceHtml(Price p) => p.Discounted
        ? $"<s class=\"muted\">{E(Pricing.Format(p.Base, p.Currency))}</s> <b>{E(Pricing.Format(p.Final, p.Currency))}</b> <span class=\"badge badge-warn\">−{p.DiscountPercent}%</span>"
        : E(Pricing.Format(p.Final, p.Currency));

    private static async Task<(List<Location> Locations, List<Category> Categories)> ListsAsync(BazaarDb db, CancellationToken ct) =>
        (await db.ShopLocations.AsNoTracking().OrderBy(l => l.Position).ThenBy(l => l.Name).ToListAsync(ct),
         await db.ShopCategories.AsNoTracking().OrderBy(c => c.Position).ThenBy(c => c.Name).ToListAsync(ct));

    private static string LocationOptions(List<Location> all, long? selected, string none)
    {
        var sb = new StringBuilder($"<option value=\"\">{E(none)}</option>");
        foreach (var city in all.Where(l => l.ParentId is null))
        {
            sb.Append($"<option value=\"{city.Id}\"{(selected == city.Id ? " selected" : "")}>{E(city.Name)}</option>");
            foreach (var d in all.Where(l => l.ParentId == city.Id))
                sb.Append($"<option value=\"{d.Id}\"{(selected == d.Id ? " selected" : "")}>&nbsp;&nbsp;{E(city.Name)} · {E(d.Name)}</option>");
        }
        return sb.ToString();
    }

    private static string CategoryOptions(List<Category> all, long? selected, string none) =>
        $"<option value=\"\">{E(none)}</option>" +
        string.Join("", all.Select(c => $"<option value=\"{c.Id}\"{(selected == c.Id ? " selected" : "")}>{E(c.Name)}</option>"));

    private static string Opt(string value, string label, string? selected) =>
        $"<option value=\"{E(value)}\"{(selected == value ? " selected" : "")}>{E(label)}</option>";

    public static async Task<IResult> Products(HttpContext http, BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock, CancellationToken ct,
        long? location = null, long? category = null, string? stock = null, string? discount = null, string? active = null, string? q = null, int page = 1)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var currency = Cur(o);
        var (locations, categories) = await ListsAsync(db, ct);
        var query = await CatalogQueries.FilterAsync(db, db.Products.AsNoTracking(), location ?? 0, category ?? 0, ct);
        if (!string.IsNullOrWhiteSpace(q))
        {
            var s = q.Trim().ToLower();
            query = query.Where(p => p.Name.ToLower().Contains(s));
        }
        var stocked = query.Where(p => (p.Kind != ProductKind.UniqueItem && p.Kind != ProductKind.Digital) ||
            db.StockUnits.Any(u => u.ProductId == p.Id && (u.Status == UnitStatus.Available || (u.Status == UnitStatus.Reserved && u.HeldUntil <= now))));
        if (stock == "in") query = stocked;
        else if (stock == "out") query = query.Except(stocked);
        var discounted = (IQueryable<Product> x) => x.Where(p => p.DiscountPercent > 0 && (p.DiscountStartsAt == null || p.DiscountStartsAt <= now) &&
                                                                 (p.DiscountEndsAt == null || p.DiscountEndsAt > now));
        if (discount == "yes") query = discounted(query);
        else if (discount == "no") query = query.Except(discounted(query));
        if (active == "yes") query = query.Where(p => p.IsActive);
        else if (active == "no") query = query.Where(p => !p.IsActive);

        page = Math.Max(1, page);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderBy(p => p.Name).ThenBy(p => p.Id).Skip((page - 1) * PageSize).Take(PageSize).ToListAsync(ct);
        var ids = rows.Select(p => p.Id).ToList();
        var free = await db.StockUnits.Where(u => ids.Contains(u.ProductId)).Free(now).GroupBy(u => u.ProductId)
            .Select(g => new { g.Key, N = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.N, ct);
        var canEdit = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        string Where(long? id, IEnumerable<(long Id, string Name)> all) => id is { } v ? all.FirstOrDefault(x => x.Id == v).Name ?? "" : "";
        var locName = locations.ToDictionary(l => l.Id, l => l.ParentId is { } c ? $"{locations.First(x => x.Id == c).Name} · {l.Name}" : l.Name);

        var sb = new StringBuilder($"""
            <section class="card">
              <form method="get" class="filters" aria-label="Filter products">
                <input type="search" name="q" value="{E(q)}" placeholder="name" aria-label="Product name">
                <select name="location" aria-label="City or district">{LocationOptions(locations, location, "any city")}</select>
                <select name="category" aria-label="Category">{CategoryOptions(categories, category, "any category")}</select>
                <select name="stock" aria-label="Stock">{Opt("", "any stock", stock)}{Opt("in", "in stock", stock)}{Opt("out", "sold out", stock)}</select>
                <select name="discount" aria-label="Discount">{Opt("", "discount or not", discount)}{Opt("yes", "discounted now", discount)}{Opt("no", "full price", discount)}</select>
                <select name="active" aria-label="Shown to customers">{Opt("", "active or not", active)}{Opt("yes", "active", active)}{Opt("no", "inactive", active)}</select>
                <button class="btn" type="submit">Filter</button>
                {(canEdit ? "<a class=\"btn btn-primary\" href=\"/admin/shop/products/new\">+ New product</a>" : "")}
              </form>
            """);
        if (canEdit)
            sb.Append($"""
                <form method="post" action="/admin/shop/bulk" id="bulk" class="filters bulk">
                  {Csrf(http)}
                  <span class="muted">With the selected:</span>
                  <label class="inline-label">discount <input name="percent" type="number" min="0" max="{Pricing.MaxDiscountPercent}" value="10" style="width:5rem" aria-label="Discount percent"> %</label>
                  <label class="inline-label">until <input name="endsAt" type="datetime-local" aria-label="Discount ends (UTC, optional)"></label>
                  <button class="btn btn-primary" type="submit" name="op" value="discount">Apply discount</button>
                  <button class="btn" type="submit" name="op" value="activate">Activate</button>
                  <button class="btn" type="submit" name="op" value="deactivate">Deactivate</button>
                </form>
                """);
        sb.Append("<div class=\"scroll\"><table class=\"products\"><thead><tr>");
        if (canEdit) sb.Append("<th><input type=\"checkbox\" data-select-all=\"ids\" aria-label=\"Select all on this page\"></th>");
        sb.Append("<th>Product</th><th>Kind</th><th>Where</th><th>Category</th><th class=\"num\">Price</th><th class=\"num\">Stock</th><th>Status</th></tr></thead><tbody>");
        foreach (var p in rows)
        {
            var hasStock = ProductKind.HasStock(p.Kind);
            var n = free.GetValueOrDefault(p.Id);
            sb.Append($"<tr data-product=\"{p.Id}\">");
            if (canEdit) sb.Append($"<td><input type=\"checkbox\" name=\"ids\" value=\"{p.Id}\" form=\"bulk\" aria-label=\"Select {E(p.Name)}\"></td>");
            sb.Append($"<td><a href=\"/admin/shop/products/{p.Id}\">{E(p.Name)}</a></td><td>{E(KindLabel(p.Kind))}</td>" +
                      $"<td>{E(p.LocationId is { } l ? locName.GetValueOrDefault(l, "") : "anywhere")}</td>" +
                      $"<td>{E(Where(p.CategoryId, categories.Select(c => (c.Id, c.Name))))}</td>" +
                      $"<td class=\"num price\">{PriceHtml(Pricing.For(p, currency, now))}</td>" +
                      $"<td class=\"num\">{(hasStock ? (n == 0 ? Badge("SOLD OUT") : n.ToString(CultureInfo.InvariantCulture)) : "<span class=\"muted\">—</span>")}</td>" +
                      $"<td>{(p.IsActive ? Badge("ACTIVE") : Badge("INACTIVE"))}</td></tr>");
        }
        if (rows.Count == 0) sb.Append($"<tr><td colspan=\"8\" class=\"muted\">No product matches these filters.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, PageSize, total)}</section>");
        sb.Append($"<p class=\"muted\">Prices in {E(currency)} as the customer sees them now: a running discount shows the old price struck through. <a href=\"/admin/shop/orders\">Orders →</a></p>");
        return Page(http, "Shop", "shop", sb.ToString());
    }

    public static string KindLabel(string kind) => kind switch
    {
        ProductKind.UniqueItem => "unique item",
        ProductKind.Digital => "digital key/file",
        ProductKind.CreditPack => "credit pack",
        ProductKind.Subscription => "subscription",
        _ => kind,
    };

    public static async Task<IResult> Bulk(HttpContext http, BazaarDb db, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var ids = Ids(f);
        var back = http.Request.Headers.Referer.ToString() is { Length: > 0 } r && Uri.TryCreate(r, UriKind.Absolute, out var u) &&
                   u.AbsolutePath.StartsWith("/admin/shop", StringComparison.Ordinal) ? u.PathAndQuery : "/admin/shop";
        if (ids.Count == 0) return RedirectWith(http, back, "Select at least one product first.", error: true);
        var op = Text(f, "op");
        var before = await db.Products.AsNoTracking().Where(p => ids.Contains(p.Id))
            .Select(p => new { p.Id, p.DiscountPercent, p.DiscountEndsAt, p.IsActive }).ToListAsync(ct);
        if (before.Count == 0) return RedirectWith(http, back, "None of the selected products exists any more.", error: true);
        switch (op)
        {
            case "discount":
            {
                if (Int(f, "percent") is not { } percent) return RedirectWith(http, back, "Enter a discount from 0 to 90 percent.", error: true);
                var ends = Utc(f, "endsAt");
                var result = await ShopApi.BulkDiscount(new ShopApi.BulkDiscountRequest(percent, null, ends, null, null, null, ids), db, clock, ct);
                if (Problem(result) is { } problem) return RedirectWith(http, back, problem, error: true);
                var changed = Value<ShopApi.BulkDiscountResult>(result)!.Changed;
                await audit.WriteAsync("shop.bulk_discount", $"products:{string.Join(",", ids)}", before,
                    new { percent, endsAt = ends, changed }, ct);
                return RedirectWith(http, back, percent == 0
                    ? $"Discount removed from {changed} product(s)."
                    : $"{percent}% discount set on {changed} product(s){(ends is { } e ? $" until {e:yyyy-MM-dd HH:mm} UTC" : "")}.");
            }
            case "activate" or "deactivate":
            {
                var on = op == "activate";
                var now = clock.GetUtcNow().UtcDateTime;
                var n = await db.Products.Where(p => ids.Contains(p.Id) && p.IsActive != on)
                    .ExecuteUpdateAsync(s => s.SetProperty(p => p.IsActive, on).SetProperty(p => p.UpdatedAt, now), ct);
                await audit.WriteAsync(on ? "shop.activate" : "shop.deactivate", $"products:{string.Join(",", ids)}", before, new { isActive = on, changed = n }, ct);
                return RedirectWith(http, back, on ? $"{n} product(s) activated: customers see them now." : $"{n} product(s) deactivated: customers no longer see them.");
            }
            default:
                return RedirectWith(http, back, "Choose what to do with the selected products.", error: true);
        }
    }

    // One product

    public static Task<IResult> New(HttpContext http, BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock, CancellationToken ct) =>
        Edit(0, http, db, o, clock, ct);

    public static async Task<IResult> Edit(long id, HttpContext http, BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var currency = Cur(o);
        Product? p = null;
        if (id != 0)
        {
            p = await db.Products.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
            if (p is null) return Page(http, "No such product", "shop", $"<p>There is no product {id}. <a href=\"/admin/shop\">All products</a></p>", 404);
        }
        var canEdit = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        var (locations, categories) = await ListsAsync(db, ct);
        var kind = p?.Kind ?? ProductKind.UniqueItem;
        var dis = canEdit ? "" : " disabled";
        var sb = new StringBuilder();
        if (p is not null)
        {
            var price = Pricing.For(p, currency, now);
            var photos = await db.ProductPhotos.AsNoTracking().Where(x => x.ProductId == id).OrderBy(x => x.Position).Select(x => new { x.Id, x.Url }).ToListAsync(ct);
            sb.Append($"<section class=\"card\"><p>Customers see: <span class=\"price\">{PriceHtml(price)}</span> · {(p.IsActive ? Badge("ACTIVE") : Badge("INACTIVE"))}</p>");
            if (photos.Count > 0)
                sb.Append("<div class=\"photos\">" + string.Join("", photos.Select(x =>
                    $"<img class=\"proof\" src=\"{E(x.Url ?? $"/api/v1/catalog/photos/{x.Id}")}\" alt=\"Photo of {E(p.Name)}\" loading=\"lazy\">")) + "</div>");
            sb.Append("</section>");
        }
        sb.Append($"""
            <form method="post" action="/admin/shop/products{(p is null ? "" : $"/{p.Id}")}" enctype="multipart/form-data" class="card form-grid">
              {Csrf(http)}
              <label>Name <input name="name" required maxlength="200" value="{E(p?.Name)}"{dis}></label>
              <label>Kind <select name="kind"{dis}>{string.Join("", ProductKind.All.Select(k => Opt(k, KindLabel(k), kind)))}</select></label>
              <label class="wide">Description <textarea name="description" rows="3" maxlength="4000"{dis}>{E(p?.Description)}</textarea></label>
              <label>Price ({E(currency)}) <input name="price" required inputmode="decimal" value="{E(p is null ? "" : Currencies.ToMajor(p.BasePrice, currency).ToString(CultureInfo.InvariantCulture))}"{dis}></label>
              <label>City or district <select name="locationId"{dis}>{LocationOptions(locations, p?.LocationId, "anywhere")}</select></label>
              <label>Category <select name="categoryId"{dis}>{CategoryOptions(categories, p?.CategoryId, "none")}</select></label>
              <label>Discount % <input name="discountPercent" type="number" min="0" max="{Pricing.MaxDiscountPercent}" value="{p?.DiscountPercent ?? 0}"{dis}></label>
              <label>Discount from (UTC) <input name="discountStartsAt" type="datetime-local" value="{LocalInput(p?.DiscountStartsAt)}"{dis}></label>
              <label>Discount until (UTC) <input name="discountEndsAt" type="datetime-local" value="{LocalInput(p?.DiscountEndsAt)}"{dis}></label>
              <label>Credits (credit pack) <input name="credits" type="number" min="1" value="{p?.Credits}"{dis}></label>
              <label>Days (subscription) <input name="subscriptionDays" type="number" min="1" max="3660" value="{p?.SubscriptionDays}"{dis}></label>
              <label>Entitlement key (subscription) <input name="entitlementKey" maxlength="100" value="{E(p?.EntitlementKey)}"{dis}></label>
              <label>Private channel id (subscription) <input name="channelChatId" maxlength="100" value="{E(p?.ChannelChatId)}"{dis}></label>
              <label>Add a photo <input name="photo" type="file" accept="image/png,image/jpeg,image/webp,image/gif"{dis}></label>
              <label class="inline-label"><input name="isActive" type="checkbox"{(p?.IsActive ?? true ? " checked" : "")}{dis}> shown to customers</label>
              {(canEdit ? $"<div class=\"wide\"><button class=\"btn btn-primary\" type=\"submit\">{(p is null ? "Create product" : "Save changes")}</button> <a class=\"btn\" href=\"/admin/shop\">Back</a></div>" : "")}
            </form>
            """);
        if (p is not null && ProductKind.HasStock(p.Kind)) sb.Append(await UnitsHtml(http, db, p, now, canEdit, ct));
        return Page(http, p is null ? "New product" : p.Name, "shop", sb.ToString());
    }

    private static async Task<string> UnitsHtml(HttpContext http, BazaarDb db, Product p, DateTime now, bool canEdit, CancellationToken ct)
    {
        var list = Value<Paged<ShopApi.UnitView>>(await ShopApi.ListUnits(p.Id, db, ct, null, 1, 200))!;
        var free = await db.StockUnits.Where(u => u.ProductId == p.Id).Free(now).CountAsync(ct);
        var sb = new StringBuilder($"<section class=\"card\" id=\"stock\"><h2>Stock: {free} free of {list.Total}</h2>");
        if (canEdit)
        {
            if (p.Kind == ProductKind.Digital)
                sb.Append($"""
                    <form method="post" action="/admin/shop/products/{p.Id}/keys" enctype="multipart/form-data" class="form-grid">
                      {Csrf(http)}
                      <label>Keys from a text file (one per line) <input name="file" type="file" accept=".txt,text/plain"></label>
                      <label class="wide">…or paste keys, one per line <textarea name="keys" rows="4"></textarea></label>
                      <div class="wide"><button class="btn btn-primary" type="submit">Import keys</button></div>
                    </form>
                    """);
            else
                sb.Append($"""
                    <form method="post" action="/admin/shop/products/{p.Id}/units" class="form-grid">
                      {Csrf(http)}
                      <label class="wide">Delivery details the buyer receives <textarea name="details" rows="2" required maxlength="2000" placeholder="e.g. Blue box behind the bench, code 4411"></textarea></label>
                      <label>Address <input name="address" maxlength="500"></label>
                      <label>Photo URL <input name="photoUrl" type="url" maxlength="1000"></label>
                      <label>Latitude <input name="latitude" inputmode="decimal"></label>
                      <label>Longitude <input name="longitude" inputmode="decimal"></label>
                      <label>How many such items <input name="count" type="number" min="1" max="1000" value="1"></label>
                      <div class="wide"><button class="btn btn-primary" type="submit">Add to stock</button></div>
                    </form>
                    """);
        }
        sb.Append("<div class=\"scroll\"><table><thead><tr><th>#</th><th>Status</th><th>Delivery</th><th>Added</th><th>Sold</th><th></th></tr></thead><tbody>");
        foreach (var u in list.Items.OrderByDescending(x => x.Id))
        {
            var what = p.Kind == ProductKind.Digital ? (u.Secret is { } s ? $"key <code>{E(Mask(s))}</code>" : $"file {E(u.FileUrl)}")
                : E(u.Details) + (u.Address is null ? "" : $" · {E(u.Address)}") + (u.Latitude is null ? "" : $" · {u.Latitude?.ToString(CultureInfo.InvariantCulture)}, {u.Longitude?.ToString(CultureInfo.InvariantCulture)}");
            var remove = canEdit && u.Status == UnitStatus.Available
                ? Button(http, $"/admin/shop/products/{p.Id}/units/{u.Id}/delete", "Remove", "btn btn-small btn-danger", "Remove this unit from stock?") : "";
            sb.Append($"<tr><td>{u.Id}</td><td>{Badge(u.Status)}</td><td>{what}</td><td>{Time(u.CreatedAt)}</td><td>{(u.OrderId is { } oid ? $"<a href=\"/admin/shop/orders?orderId={oid}\">order {oid}</a> " : "")}{Time(u.SoldAt)}</td><td>{remove}</td></tr>");
        }
        sb.Append("</tbody></table></div></section>");
        return sb.ToString();
    }

    /// <summary>Keys are secrets: the page shows only their ends.</summary>
    private static string Mask(string s) => s.Length <= 6 ? new string('•', s.Length) : s[..3] + "…" + s[^3..];

    public static async Task<IResult> Save(HttpContext http, BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock, AuditLog audit, CancellationToken ct, long id = 0)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var self = id == 0 ? "/admin/shop/products/new" : $"/admin/shop/products/{id}";
        if (Decimal(f, "price") is not { } price) return RedirectWith(http, self, "Enter the price as a number, e.g. 12.50.", error: true);
        var photo = f.Files.GetFile("photo");
        if (photo is { Length: > 0 } && (photo.Length > MaxPhotoBytes || !PhotoTypes.Contains(photo.ContentType)))
            return RedirectWith(http, self, "A photo is a PNG, JPEG, WebP or GIF picture of at most 5 MB.", error: true);
        var request = new ShopApi.ProductRequest(Text(f, "name"), Text(f, "description"), Text(f, "kind"), price, Long(f, "categoryId"), Long(f, "locationId"),
            Int(f, "discountPercent") ?? 0, Utc(f, "discountStartsAt"), Utc(f, "discountEndsAt"), Check(f, "isActive"), null,
            Long(f, "credits"), Int(f, "subscriptionDays"), Optional(f, "entitlementKey"), Optional(f, "channelChatId"));
        var before = id == 0 ? null : (await ShopApi.AdminGet(id, db, o, clock, ct)) is var b ? Value<ShopApi.ProductView>(b) : null;
        IResult result = id == 0 ? await ShopApi.Create(request, db, o, clock, ct) : await ShopApi.Update(id, request, db, o, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, self, problem, error: true);
        var saved = Value<ShopApi.ProductView>(result)!;
        if (photo is { Length: > 0 })
        {
            using var ms = new MemoryStream();
            await photo.CopyToAsync(ms, ct);
            var position = await db.ProductPhotos.Where(x => x.ProductId == saved.Id).Select(x => (int?)x.Position).MaxAsync(ct) ?? -1;
            db.ProductPhotos.Add(new ProductPhoto { ProductId = saved.Id, Content = ms.ToArray(), ContentType = photo.ContentType, Position = position + 1 });
            await db.SaveChangesAsync(ct);
        }
        await audit.WriteAsync(id == 0 ? "shop.product_create" : "shop.product_update", $"product:{saved.Id}", before, saved, ct);
        return RedirectWith(http, $"/admin/shop/products/{saved.Id}", id == 0 ? $"Product \"{saved.Name}\" created." : "Saved.");
    }

    public static Task<IResult> Update(long id, HttpContext http, BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock, AuditLog audit, CancellationToken ct) =>
        Save(http, db, o, clock, audit, ct, id);

    public static async Task<IResult> AddUnits(long id, HttpContext http, BazaarDb db, Reservations reservations, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var self = $"/admin/shop/products/{id}#stock";
        var count = Int(f, "count") ?? 1;
        if (count is < 1 or > 1000) return RedirectWith(http, self, "Add 1 to 1000 items at once.", error: true);
        if ((Optional(f, "latitude") is null) != (Optional(f, "longitude") is null) ||
            (Optional(f, "latitude") is not null && (Double(f, "latitude") is null || Double(f, "longitude") is null)))
            return RedirectWith(http, self, "Give both latitude and longitude as numbers (e.g. 52.2297 and 21.0122), or neither.", error: true);
        var unit = new ShopApi.UnitRequest(null, null, Optional(f, "photoUrl"), Double(f, "latitude"), Double(f, "longitude"), Optional(f, "address"), Optional(f, "details"));
        var result = await ShopApi.AddUnits(id, Enumerable.Repeat(unit, count).ToList(), db, reservations, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, self, problem, error: true);
        var added = Value<ShopApi.AddedUnits>(result)!;
        await audit.WriteAsync("shop.stock_add", $"product:{id}", null, new { added = added.Added, free = added.Free, unit.Details, unit.Address }, ct);
        return RedirectWith(http, self, $"{added.Added} item(s) added; {added.Free} free in stock now.");
    }

    public static async Task<IResult> ImportKeys(long id, HttpContext http, BazaarDb db, Reservations reservations, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var self = $"/admin/shop/products/{id}#stock";
        var text = new StringBuilder(f["keys"].ToString());
        if (f.Files.GetFile("file") is { Length: > 0 } file)
        {
            if (file.Length > MaxKeyFileBytes) return RedirectWith(http, self, "The key file is at most 16 MB.", error: true);
            using var reader = new StreamReader(file.OpenReadStream());
            text.Append('\n').Append(await reader.ReadToEndAsync(ct));
        }
        var result = await ShopApi.ImportKeys(id, new ShopApi.ImportRequest(text.ToString().Replace("\r", "")), db, reservations, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, self, problem, error: true);
        var added = Value<ShopApi.AddedUnits>(result)!;
        await audit.WriteAsync("shop.keys_import", $"product:{id}", null, new { added = added.Added, free = added.Free }, ct);
        return RedirectWith(http, self, $"{added.Added} key(s) imported; {added.Free} free in stock now.");
    }

    public static async Task<IResult> DeleteUnit(long id, long unitId, HttpContext http, BazaarDb db, AuditLog audit, CancellationToken ct)
    {
        var result = await ShopApi.DeleteUnit(id, unitId, db, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, $"/admin/shop/products/{id}#stock", problem, error: true);
        await audit.WriteAsync("shop.stock_remove", $"unit:{unitId}", new { productId = id, status = UnitStatus.Available }, null, ct);
        return RedirectWith(http, $"/admin/shop/products/{id}#stock", $"Unit {unitId} removed from stock.");
    }

    // Orders

    public static async Task<IResult> Orders(HttpContext http, BazaarDb db, CancellationToken ct, long? userId = null, long? productId = null,
        long? orderId = null, string? status = null, int page = 1)
    {
        page = Math.Max(1, page);
        Paged<ShopApi.OrderView> list;
        if (orderId is { } oid)
        {
            var one = Value<ShopApi.OrderView>(await ShopApi.GetOrder(oid, db, ct));
            list = new Paged<ShopApi.OrderView>(one is null ? [] : [one], 1, 50, one is null ? 0 : 1);
        }
        else list = Value<Paged<ShopApi.OrderView>>(await ShopApi.ListOrders(db, ct, userId, productId, string.IsNullOrWhiteSpace(status) ? null : status, null, null, page, 50))
            ?? new Paged<ShopApi.OrderView>([], page, 50, 0);
        var names = await PaymentsPages.Names(db, list.Items.Select(o => o.UserId), ct);
        var sb = new StringBuilder($"""
            <section class="card">
              <form method="get" class="filters" aria-label="Filter orders">
                <input name="orderId" inputmode="numeric" placeholder="order id" value="{E(orderId)}" aria-label="Order id">
                <input name="userId" inputmode="numeric" placeholder="user id" value="{E(userId)}" aria-label="User id">
                <input name="productId" inputmode="numeric" placeholder="product id" value="{E(productId)}" aria-label="Product id">
                <select name="status" aria-label="Status">{Opt("", "any status", status)}{Opt(OrderStatus.Paid, "paid", status)}{Opt(OrderStatus.Refunded, "refunded", status)}</select>
                <button class="btn" type="submit">Filter</button>
              </form>
              <div class="scroll"><table><thead><tr><th>#</th><th>When</th><th>Customer</th><th>Product</th><th class="num">Paid</th><th>With</th><th>Status</th><th></th></tr></thead><tbody>
            """);
        foreach (var o in list.Items)
        {
            var price = o.DiscountPercent > 0
                ? $"<s class=\"muted\">{E(Pricing.Format(o.OriginalPriceMinor, o.Currency))}</s> {E(Pricing.Format(o.FinalPriceMinor, o.Currency))}"
                : E(Pricing.Format(o.FinalPriceMinor, o.Currency));
            sb.Append($"<tr data-order=\"{o.Id}\"><td>{o.Id}</td><td>{Time(o.CreatedAt)}</td><td><a href=\"/admin/users/{o.UserId}\">{E(names.GetValueOrDefault(o.UserId, $"user {o.UserId}"))}</a></td>" +
                      $"<td><a href=\"/admin/shop/products/{o.ProductId}\">{E(o.ProductName)}</a></td><td class=\"num\">{price}</td><td>{E(o.PaidWith)}</td><td>{Badge(o.Status)}</td>" +
                      $"<td>{(o.Status == OrderStatus.Paid ? Button(http, $"/admin/shop/orders/{o.Id}/resend", "Send delivery again", "btn btn-small", "Send the goods of this order to the customer again?") : "")}</td></tr>");
        }
        if (list.Items.Count == 0) sb.Append("<tr><td colspan=\"8\" class=\"muted\">No orders match.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, 50, list.Total)}</section>");
        return Page(http, "Shop orders", "shop", sb.ToString());
    }

    /// <summary>The same "show again" the buyer has in /orders: the goods go to the buyer's chat once more.</summary>
    public static async Task<IResult> Resend(long id, HttpContext http, BazaarDb db, ShopDelivery delivery, AuditLog audit, CancellationToken ct)
    {
        var back = $"/admin/shop/orders?orderId={id}";
        var o = await db.Orders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (o is null) return RedirectWith(http, "/admin/shop/orders", $"There is no order {id}.", error: true);
        if (o.Status != OrderStatus.Paid) return RedirectWith(http, back, $"Order {id} is {o.Status}; only a paid order's goods are sent.", error: true);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == o.UserId, ct);
        if (user is null || user.IsBlocked) return RedirectWith(http, back, "The customer has blocked the bot, so nothing can be sent.", error: true);
        var product = await db.Products.AsNoTracking().FirstAsync(x => x.Id == o.ProductId, ct);
        var unit = o.UnitId is null ? null : await db.StockUnits.AsNoTracking().FirstOrDefaultAsync(u => u.Id == o.UnitId, ct);
        delivery.IsRepeat = true;
        await delivery.SendGoodsAsync(new Channels.ChatTarget(user.Channel, user.ExternalId, user.Id), Conversations.Languages.FromCode(user.LanguageCode),
            o, product, unit, null, ct);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync("shop.delivery_resend", $"order:{id}", null, new { userId = o.UserId }, ct);
        return RedirectWith(http, back, $"The delivery of order {id} was sent to {user.DisplayName} again.");
    }
}
