using System.Text.Json.Nodes;
using Bazaar.Server.Checks;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Checks;

/// <summary>The server with the bot on a fake Bot API, Stars on, the shop in RUB; tests step jobs themselves.</summary>
public class ChecksAppFactory : BotAppFactory
{
    public ChecksAppFactory()
    {
        With("Shop:Currency", "RUB");
        With("Payments:Stars:Enabled", "true");
    }

    public JobRunner JobRunner => Services.GetRequiredService<JobRunner>();

    public async Task<List<JobRun>> RunJobs()
    {
        var runs = new List<JobRun>();
        while (await JobRunner.RunOnceAsync("test-worker", CancellationToken.None) is { } run) runs.Add(run);
        return runs;
    }

    public async Task<T> In<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    public Task<T> Credits<T>(Func<CheckCredits, Task<T>> work) => In(sp => work(sp.GetRequiredService<CheckCredits>()));

    public Task<long> CreditBalance(long userId) => Credits(c => c.BalanceAsync(userId, CancellationToken.None));

    public Task<ChatUser> UserOf(long telegramId) =>
        WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == telegramId.ToString()));

    public async Task<JsonObject> LastPayload(long chatId, string method) =>
        JsonNode.Parse((await OutboxFor(chatId)).Last(m => m.Method == method).Payload)!.AsObject();
}
