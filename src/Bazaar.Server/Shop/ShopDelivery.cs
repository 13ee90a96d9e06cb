using System.Globalization;
using System.Net;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Telegram.Bot.Requests;

namespace Bazaar.Server.Shop;

/// <summary>What the buyer receives after paying, queued in the outbox with the purchase; /orders shows it again.</summary>
public sealed class ShopDelivery(BazaarDb db, Outbox outbox)
{
    private static string F(Localized t, string lang, params object?[] args) => string.Format(CultureInfo.InvariantCulture, t.In(lang), args);
    private static string H(string? s) => WebUtility.HtmlEncode(s ?? "");

    /// <summary>
    /// Whom a purchase's delivery goes to, in which language, and a unique item's product photo: read before the
    /// purchase's write transaction (none of it decides the sale), so the writer is held only for the writes.
    /// Null when the user is gone or blocked the bot (nothing is sent).
    /// </summary>
    public sealed record Recipient(ChatTarget To, string Lang, ProductPhoto? ItemPhoto);

    public async Task<Recipient?> RecipientAsync(long userId, Product product, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || user.IsBlocked) return null;
        var photo = product.Kind == ProductKind.UniqueItem ? await FirstPhotoAsync(product.Id, ct) : null;
        return new(new ChatTarget(user.Channel, user.ExternalId, user.Id), Languages.FromCode(user.LanguageCode), photo);
    }

    /// <summary>The receipt and the goods, queued in the outbox (saved with the caller's transaction).</summary>
    public async Task DeliverAsync(Recipient? to, Order order, Product product, StockUnit? unit, Entitlement? grant, CancellationToken ct)
    {
        if (to is null) return;
        outbox.SendText(to.To, F(ShopTexts.OrderPaid, to.Lang, order.Id, H(order.ProductName), Pricing.Format(order.FinalPrice, order.Currency)));
        await SendGoodsAsync(to.To, to.Lang, order, product, unit, grant, ct, to.ItemPhoto, photoKnown: true);
    }

    /// <summary>The goods themselves (also for "show again" in /orders).</summary>
    public async Task SendGoodsAsync(ChatTarget to, string lang, Order order, Product product, StockUnit? unit, Entitlement? grant, CancellationToken ct,
        ProductPhoto? itemPhoto = null, bool photoKnown = false)
    {
        switch (product.Kind)
        {
            case ProductKind.UniqueItem when unit is not null:
            {
                var caption = F(ShopTexts.DeliveryItem, lang, H(unit.Details ?? product.Name));
                if (!string.IsNullOrWhiteSpace(unit.Address)) caption += "\n" + F(ShopTexts.DeliveryAddress, lang, H(unit.Address));
                if (!string.IsNullOrWhiteSpace(unit.PhotoUrl)) outbox.SendPhoto(to, unit.PhotoUrl, caption);
                else if ((photoKnown ? itemPhoto : await FirstPhotoAsync(product.Id, ct)) is { Content: not null } photo) outbox.SendPhoto(to, $"item-{order.Id}.png", photo.Content, caption);
                else outbox.SendText(to, caption);
                if (unit.Latitude is { } lat && unit.Longitude is { } lon)
                    outbox.Enqueue(to, new SendLocationRequest { ChatId = ChatIdOf(to), Latitude = lat, Longitude = lon });
                break;
            }
            case ProductKind.Digital when unit is not null:
                if (!string.IsNullOrWhiteSpace(unit.Secret)) outbox.SendText(to, F(ShopTexts.DeliveryKey, lang, H(unit.Secret)));
                if (!string.IsNullOrWhiteSpace(unit.FileUrl)) outbox.SendDocument(to, unit.FileUrl, ShopTexts.DeliveryFile.In(lang));
                break;
            case ProductKind.Subscription:
                grant ??= await db.Entitlements.AsNoTracking().FirstOrDefaultAsync(e => e.UserId == order.UserId && e.ProductId == product.Id, ct);
                if (grant is not null)
                {
                    outbox.SendText(to, F(ShopTexts.DeliverySubscription, lang, H(product.Name), grant.ExpiresAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)));
                    // The first link comes from the invite job; "show again" repeats it once it is there.
                    if (grant.InviteLink is not null && IsRepeat)
                        outbox.SendText(to, F(ShopTexts.DeliveryInvite, lang, H(grant.InviteLink)));
                }
                break;
            case ProductKind.CreditPack:
                outbox.SendText(to, F(ShopTexts.DeliveryCredits, lang, product.Credits ?? 0));
                break;
        }
    }

    /// <summary>Set by /orders' "show again", where a stored invite link is repeated.</summary>
    public bool IsRepeat { get; set; }

    public async Task NotifyKeptInWalletAsync(long userId, long amount, string currency, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || user.IsBlocked) return;
        outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id),
            F(ShopTexts.KeptInWallet, Languages.FromCode(user.LanguageCode), Pricing.Format(amount, currency)));
    }

    /// <summary>A message to the user in their language (queued with the caller's SaveChanges).</summary>
    public async Task NotifyAsync(long userId, Localized text, CancellationToken ct, params object?[] args)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || user.IsBlocked) return;
        outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id), F(text, Languages.FromCode(user.LanguageCode), args));
    }

    /// <summary>A payment short of the price while the hold runs: the money is in the wallet; top up and Confirm pays the rest.</summary>
    public async Task NotifyUnderpaidAsync(Reservation r, long paid, long balance, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == r.UserId, ct);
        if (user is null || user.IsBlocked) return;
        var lang = Languages.FromCode(user.LanguageCode);
        var keyboard = new Telegram.Bot.Types.ReplyMarkups.InlineKeyboardMarkup([
            [Telegram.Bot.Types.ReplyMarkups.InlineKeyboardButton.WithCallbackData(ShopTexts.TopUp.In(lang), Bazaar.Server.Wallet.WalletScreens.DepositCallback)],
            [Telegram.Bot.Types.ReplyMarkups.InlineKeyboardButton.WithCallbackData(
                F(ShopTexts.Confirm, lang, Pricing.Format(r.FinalPrice, r.Currency)), $"shop:ok:{r.Id}")],
        ]);
        outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id),
            F(ShopTexts.Underpaid, lang, Pricing.Format(paid, r.Currency), Pricing.Format(r.FinalPrice, r.Currency),
                Pricing.Format(r.FinalPrice - paid, r.Currency), Pricing.Format(balance, r.Currency), r.ExpiresAt.ToString("HH:mm", CultureInfo.InvariantCulture)),
            keyboard);
    }

    public Task<ProductPhoto?> FirstPhotoAsync(long productId, CancellationToken ct) =>
        db.ProductPhotos.AsNoTracking().Where(p => p.ProductId == productId).OrderBy(p => p.Position).FirstOrDefaultAsync(ct);

    public static Telegram.Bot.Types.ChatId ChatIdOf(ChatTarget to) =>
        long.TryParse(to.ChatId, out var id) ? new Telegram.Bot.Types.ChatId(id) : new Telegram.Bot.Types.ChatId(to.ChatId);
}
