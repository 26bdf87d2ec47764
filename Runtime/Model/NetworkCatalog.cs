using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen;

/// <summary>
/// Every network declared in the assemblies loaded so far, by name. The generator registers each
/// [Network] class from a module initializer it writes beside the class, so the catalog is complete
/// by construction, without searching assemblies by reflection (and trimming and native AOT keep
/// what it lists). A module's initializer runs before its first type is used: the networks of a
/// program are there when its <c>Main</c> starts, the runtime's own (AlexNet, MiniAlexNet) before
/// the catalog is first read, and a library's once the program has used one of its types.
/// </summary>
public static class NetworkCatalog
{
    private static readonly object Gate = new();
    private static readonly List<NetworkEntry> Entries = [];

    /// <summary>Every registered network, in name order.</summary>
    public static IReadOnlyList<NetworkEntry> All
    {
        get
        {
            lock (Gate)
                return Entries.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.FullName, StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>The registered networks' names, lower case, for messages.</summary>
    public static string Names => string.Join(", ", All.Select(e => e.Name).Distinct());

    /// <summary>Adds a network; generated code calls it once per network, from the network's module initializer.</summary>
    public static void Register(NetworkEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (Gate)
            if (!Entries.Any(e => e.FullName == entry.FullName && e.Assembly == entry.Assembly))
                Entries.Add(entry);
    }

    /// <summary>The network named <paramref name="name"/> (its class name, in any case), or null when none is.</summary>
    /// <exception cref="InvalidOperationException">Two registered networks answer to the name (declared in two assemblies or namespaces).</exception>
    public static NetworkEntry? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var matches = All.Where(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count > 1)
            throw new InvalidOperationException($"{matches.Count} networks are named '{name.ToLowerInvariant()}': " +
                string.Join(", ", matches.Select(m => $"{m.FullName} in {m.Assembly}")) + "; rename all but one of the classes.");
        return matches.FirstOrDefault();
    }
}

/// <summary>One registered network: what the command line and tools need to know of it, and how to create it.</summary>
/// <param name="FullName">The class's full name: <c>NetGen.Networks.AlexNet</c>.</param>
/// <param name="Assembly">The name of the assembly that declares it.</param>
/// <param name="Info">Its generated description (shapes, layers, parameters).</param>
/// <param name="Partition">Its split over one device per column, for a network with several columns; else null.</param>
/// <param name="Defaults">The training defaults declared beside it (or beside the network whose layers it takes), or null for the paper's.</param>
/// <param name="Create">Allocates it on a device and initialises it from a seed.</param>
public sealed record NetworkEntry(string FullName, string Assembly, NetworkInfo Info, PartitionInfo? Partition, TrainingDefaultsAttribute? Defaults,
    Func<Device, ulong, Network> Create)
{
    /// <summary>The name commands know it by: the class name in lower case (<c>alexnet</c>).</summary>
    public string Name => Info.Name.ToLowerInvariant();
}
