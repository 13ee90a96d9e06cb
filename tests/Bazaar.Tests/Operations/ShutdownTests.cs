using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bazaar.Tests.Operations;

public sealed class ShutdownTests : IAsyncLifetime
{
    private readonly BotAppFactory _app = new();

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await ((IAsyncLifetime)_app).DisposeAsync();

    [Fact]
    public async Task Once_stopping_the_webhook_answers_503_with_Retry_After()
    {
        await _app.Post(Updates.Text(Updates.NewUserId(), "/start")); // 200 before the stop

        // The signal comes first; the host then stops in the background, so the request goes in right away.
        _app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var update = Updates.Text(Updates.NewUserId(), "/start");
        var r = await _app.Webhook().PostRaw("/api/v1/telegram/webhook", update.ToJsonString());
        await r.AssertProblem(503, "shutting_down");
        Assert.Equal("5", r.Headers.RetryAfter?.ToString());
    }
}
