using System;
using System.Linq;
using System.Reflection;
using ILGPU.Runtime;

namespace NetGen.Networks.Commands;

/// <summary>The networks declared in this assembly, found by their [Network] attribute and named case-insensitively.</summary>
internal static class NetworkCatalog
{
    private static readonly Type[] Types = typeof(NetworkCatalog).Assembly.GetTypes()
        .Where(t => t.GetCustomAttribute<NetworkAttribute>() is not null && t.IsSubclassOf(typeof(Network)))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    public static string Names => string.Join(", ", Types.Select(t => t.Name.ToLowerInvariant()));

    public static NetworkInfo Info(string name) =>
        (NetworkInfo)Find(name).GetProperty("Description", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    /// <summary>The generated partition plan of a network with several columns, or null.</summary>
    public static PartitionInfo? Partition(string name) =>
        (PartitionInfo?)Find(name).GetProperty("Partition", BindingFlags.Public | BindingFlags.Static)?.GetValue(null);

    /// <summary>
    /// The training defaults declared beside the network, else those of the network it takes its
    /// layers from (<c>Layers = typeof(...)</c>), or null for the paper's.
    /// </summary>
    public static TrainingDefaultsAttribute? Defaults(string name)
    {
        var type = Find(name);
        return type.GetCustomAttribute<TrainingDefaultsAttribute>() ?? type.GetCustomAttribute<NetworkAttribute>()?.Layers?.GetCustomAttribute<TrainingDefaultsAttribute>();
    }

    public static Network Create(string name, Device device, ulong seed) =>
        (Network)Activator.CreateInstance(Find(name), device, seed)!;

    private static Type Find(string name) =>
        Types.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new UsageException($"no network named '{name}'; the networks are {Names}");
}
