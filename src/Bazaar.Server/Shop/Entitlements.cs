using System.Globalization;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Shop;

/// <summary>Subscriptions: the entitlement a purchase grants or extends, and the checks a gated route makes.</summary>
public sealed class Entitlements(BazaarDb db, JobQueue jobs, TimeProvider clock)
{
    public static string KeyOf(Product p) => string.IsNullOrWhiteSpace(p.EntitlementKey) ? $"product:{p.Id}" : p.EntitlementKey;

    /// <summary>The user's running entitlement to <paramref name="key"/>, or null.</summary>
    public Task<Entitlement?> ActiveAsync(long userId, string key, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return db.Entitlements.AsNoTracking().FirstOrDefaultAsync(e => e.UserId == userId && e.Key == key && e.EndedAt == null && e.ExpiresAt > now, ct);
    }

    /// <summary>
    /// Grants N days, or adds them to a running entitlement, inside the purchase's transaction (the wallet row the
    /// purchase already locked serialises one user's purchases). A new member of a channel gets an invite by job.
    /// </summary>
    public async Task<Entitlement> GrantAsync(Order order, Product product, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var key = KeyOf(product);
        var days = Math.Max(1, product.SubscriptionDays ?? 30);
        var e = await db.Entitlements.FirstOrDefaultAsync(x => x.UserId == order.UserId && x.Key == key, ct);
        var wasActive = e is not null && e.EndedAt is null && e.ExpiresAt > now;
        if (e is null)
        {
            e = new Entitlement { UserId = order.UserId, Key = key, ProductId = product.Id, StartsAt = now, ExpiresAt = now.AddDays(days) };
            db.Entitlements.Add(e);
        }
        else
        {
            e.ExpiresAt = (wasActive ? e.ExpiresAt : now).AddDays(days);
            if (!wasActive) { e.StartsAt = now; e.InviteLink = null; }
            e.EndedAt = null;
            e.RenewalNotifiedAt = null;
            e.ProductId = product.Id;
        }
        e.ChannelChatId = product.ChannelChatId;
        await db.SaveChangesAsync(ct);
        if (!wasActive && !string.IsNullOrWhiteSpace(product.ChannelChatId))
            jobs.Enqueue(InviteJob.JobType, new InviteJob.Payload(e.Id), new EnqueueOptions { IdempotencyKey = $"{InviteJob.JobType}:{order.Id}" });
        db.Entry(e).State = EntityState.Detached;
        return e;
    }
}

/// <summary>
/// <c>shop.invite</c>: createChatInviteLink (member_limit 1, expiring with the entitlement) outside any transaction,
/// then one short transaction stores the link and queues it to the buyer. A failed call is retried by the queue.
/// </summary>
public sealed class InviteJob(BazaarDb db, ITelegramBotClient bot, Outbox outbox, WriteGate gate, TimeProvider clock) : JobHandler<InviteJob.Payload>
{
    public const string JobType = "shop.invite";
    public sealed record Payload(long EntitlementId);

    public override async Task HandleAsync(Payload payload, JobContext job, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var e = await db.Entitlements.AsNoTracking().FirstOrDefaultAsync(x => x.Id == payload.EntitlementId, ct);
        if (e is null || e.EndedAt is not null || e.ExpiresAt <= now || e.InviteLink is not null || e.ChannelChatId is null) return;
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == e.UserId, ct);
        if (user.Channel != ChatChannel.Telegram) return; // a sandbox user has no Telegram account to invite
        var link = await bot.CreateChatInviteLink(ShopDelivery.ChatIdOf(new ChatTarget(ChatChannel.Telegram, e.ChannelChatId)),
            name: $"entitlement {e.Id}", expireDate: e.ExpiresAt, memberLimit: 1, cancellationToken: ct);
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var n = await db.Entitlements.Where(x => x.Id == e.Id && x.InviteLink == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.InviteLink, link.InviteLink), ct);
            if (n == 1)
            {
                outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id),
                    string.Format(CultureInfo.InvariantCulture, ShopTexts.DeliveryInvite.In(Languages.FromCode(user.LanguageCode)), link.InviteLink));
                await db.SaveChangesAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
    }
}

/// <summary>
/// <c>shop.entitlements</c> (every minute): a renewal button shortly before the end; at the end the member is removed
/// from the channel (banChatMember then unbanChatMember, so a later invite works) and told.
/// </summary>
public sealed class EntitlementExpiryJob(BazaarDb db, ITelegramBotClient bot, Outbox outbox, WriteGate gate, IOptions<ShopOptions> options,
    TimeProvider clock) : IJobHandler
{
    public const string JobType = "shop.entitlements";

    public async Task HandleAsync(JobContext job, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var soon = now.AddHours(options.Value.RenewalNoticeHours);
        var renew = await db.Entitlements.AsNoTracking()
            .Where(e => e.EndedAt == null && e.RenewalNotifiedAt == null && e.ExpiresAt > now && e.ExpiresAt <= soon).Take(200).ToListAsync(ct);
        foreach (var e in renew)
            await InTransactionAsync(async () =>
            {
                var n = await db.Entitlements.Where(x => x.Id == e.Id && x.RenewalNotifiedAt == null && x.EndedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.RenewalNotifiedAt, now), ct);
                if (n == 1) await TellAsync(e, ShopTexts.RenewalNotice, withRenew: true, ct);
            }, ct);

        var ended = await db.Entitlements.AsNoTracking().Where(e => e.EndedAt == null && e.ExpiresAt <= now).Take(200).ToListAsync(ct);
        foreach (var e in ended)
        {
            var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == e.UserId, ct);
            if (e.ChannelChatId is not null && user.Channel == ChatChannel.Telegram && long.TryParse(user.ExternalId, out var tgUser))
            {
                // Outside any transaction; repeating both calls after a crash is harmless.
                var chat = ShopDelivery.ChatIdOf(new ChatTarget(ChatChannel.Telegram, e.ChannelChatId));
                await bot.BanChatMember(chat, tgUser, cancellationToken: ct);
                await bot.UnbanChatMember(chat, tgUser, onlyIfBanned: true, cancellationToken: ct);
            }
            await InTransactionAsync(async () =>
            {
                var n = await db.Entitlements.Where(x => x.Id == e.Id && x.EndedAt == null && x.ExpiresAt <= now)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), ct);
                if (n == 1) await TellAsync(e, ShopTexts.SubscriptionEnded, withRenew: true, ct);
            }, ct);
        }
    }

    private async Task TellAsync(Entitlement e, Localized text, bool withRenew, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == e.UserId, ct);
        if (user.IsBlocked) return;
        var product = await db.Products.AsNoTracking().FirstAsync(p => p.Id == e.ProductId, ct);
        var lang = Languages.FromCode(user.LanguageCode);
        var keyboard = withRenew && product.IsActive
            ? new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData(ShopTexts.Renew.In(lang), ShopBot.BuyPrefix + product.Id)) : null;
        outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id),
            string.Format(CultureInfo.InvariantCulture, text.In(lang), System.Net.WebUtility.HtmlEncode(product.Name),
                e.ExpiresAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)), keyboard);
        await db.SaveChangesAsync(ct);
    }

    private async Task InTransactionAsync(Func<Task> work, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await work();
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
        }
    }
}
