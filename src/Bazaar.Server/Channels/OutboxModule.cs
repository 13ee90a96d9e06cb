using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Channels;

public static class OutboxModule
{
    public static IServiceCollection AddOutbox(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<OutboxOptions>(config.GetSection("Outbox"));
        services.AddScoped<Outbox>();
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxPacer>();
        services.AddSingleton<IOutboxTransport, TelegramDelivery>();
        services.AddSingleton<IChatFileSource, TelegramFileSource>();
        services.AddSingleton<OutboxSender>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxSender>());
        services.AddJobHandler<OutboxCleanupJob>(OutboxCleanupJob.Type);
        services.AddRecurringJob(OutboxCleanupJob.Type, TimeSpan.FromHours(1), OutboxCleanupJob.Type);
        return services;
    }

    public static IEndpointRouteBuilder MapOutboxApi(this IEndpointRouteBuilder app)
    {
        OutboxApi.Map(app);
        return app;
    }
}
