using System.Text.Json;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot;

namespace Bazaar.Server.Channels.Telegram;

/// <summary>
/// Polling mode: getUpdates in a loop, each update into the same inbox as the webhook. The offset is
/// the highest stored update_id + 1, so it is persisted by the inbox itself and an update is confirmed
/// to Telegram only after it is committed.
/// Only one instance polls a bot (Telegram refuses two getUpdates at once): on PostgreSQL the one holding the bot's
/// session advisory lock; the others try again every Telegram:LeaderRetrySeconds and take over when the leader's
/// database session ends (it stopped or died). If two ever overlap for a moment (a leader whose session just broke
/// finishing its last long poll), an update they both fetch is still stored once (the inbox's unique index).
/// On SQLite there is one process per database, so it just polls.
/// Not a job type: getUpdates is one continuous long poll per bot token, and claiming a job between polls would
/// only add latency to every incoming message.
/// </summary>
public sealed class TelegramPolling(ITelegramBotClient bot, IOptions<TelegramOptions> options, Inbox inbox, DatabaseOptions database,
    IServiceScopeFactory scopes, TimeProvider clock, ILogger<TelegramPolling> log) : BackgroundService
{
    private bool _webhookDeleted;

    /// <summary>The advisory lock's name: one leader per bot.</summary>
    public static string LockName(string botId) => "bazaar.telegram.polling:" + botId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.EffectiveMode != TelegramMode.Polling || !o.PollingLoop) return;
        var retry = TimeSpan.FromSeconds(Math.Max(1, o.LeaderRetrySeconds));
        var announced = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            SessionLock? held = null;
            try
            {
                if (database.Provider == DatabaseProvider.Postgres)
                {
                    held = await SessionLock.TryAcquireAsync(database.ConnectionString, LockName(o.BotId), stoppingToken);
                    if (held is null)
                    {
                        if (!announced) log.LogInformation("Another instance polls Telegram for bot {BotId}; standing by", o.BotId);
                        announced = true;
                        await Task.Delay(retry, clock, stoppingToken);
                        continue;
                    }
                    log.LogInformation("This instance now polls Telegram for bot {BotId}", o.BotId);
                }
                announced = false;
                await PollWhileLeaderAsync(held, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                log.LogWarning(ex, "Could not take the polling lock; retrying in {Delay}", retry);
                try { await Task.Delay(retry, clock, stoppingToken); }
                catch (OperationCanceledException) { return; }
            }
            finally
            {
                // Closing the lock's connection hands the lead to another instance at once.
                if (held is not null) await held.DisposeAsync();
            }
        }
    }

    /// <summary>Polls until stopped or, on PostgreSQL, until the lock's session is gone (then someone else may lead).</summary>
    private async Task PollWhileLeaderAsync(SessionLock? held, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (held is not null && !await held.IsHeldAsync(stoppingToken))
            {
                log.LogWarning("Lost the database session that held the polling lock; no longer polling");
                return;
            }
            try
            {
                await RunOnceAsync(options.Value.PollingTimeoutSeconds, stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { throw; }
            catch (Exception ex)
            {
                failures++;
                var delay = TimeSpan.FromSeconds(Math.Min(60, 1 << Math.Min(failures, 6)));
                log.LogWarning(ex, "getUpdates failed ({Failures} in a row); retrying in {Delay}", failures, delay);
                await Task.Delay(delay, clock, stoppingToken);
            }
        }
    }

    /// <summary>One getUpdates round; returns how many updates were new.</summary>
    public async Task<int> RunOnceAsync(int timeoutSeconds, CancellationToken ct)
    {
        var o = options.Value;
        if (!_webhookDeleted)
        {
            await bot.DeleteWebhook(cancellationToken: ct);
            _webhookDeleted = true;
        }
        var offset = await NextOffsetAsync(o.BotId, ct);
        var updates = await bot.GetUpdates(offset, limit: 100, timeout: timeoutSeconds, allowedUpdates: TelegramChannel.AllowedUpdates, cancellationToken: ct);
        var fresh = 0;
        foreach (var u in updates)
        {
            var payload = JsonSerializer.Serialize(u, JsonBotAPI.Options);
            if (await inbox.AcceptAsync(InboundItem.Of(ChatChannel.Telegram, o.BotId, u, payload))) fresh++;
        }
        return fresh;
    }

    private async Task<int?> NextOffsetAsync(string botId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var max = await db.InboundUpdates.Where(u => u.Channel == ChatChannel.Telegram && u.BotId == botId)
            .MaxAsync(u => (long?)u.UpdateId, ct);
        return max is { } m ? (int)(m + 1) : null;
    }
}
