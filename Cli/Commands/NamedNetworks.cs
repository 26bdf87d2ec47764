using System.Linq;

namespace NetGen.CommandLine;

/// <summary>The networks the commands know, by name: every network registered in <see cref="NetworkCatalog"/>.</summary>
internal static class NamedNetworks
{
    /// <summary>The network <c>netgen train</c> trains when none is named: MiniAlexNet where it is registered, else the only network there is.</summary>
    public static string Default()
    {
        var all = NetworkCatalog.All;
        if (all.Any(e => e.Name == "minialexnet"))
            return "minialexnet";
        if (all.Count == 1)
            return all[0].Name;
        throw new UsageException(all.Count == 0
            ? "no networks are declared in this program; declare a [Network] class in it (the README's first example)"
            : $"name the network to train: {NetworkCatalog.Names}");
    }

    /// <summary>The network named <paramref name="name"/>, in any case.</summary>
    /// <exception cref="UsageException">No network has that name.</exception>
    public static NetworkEntry Get(string name)
    {
        NetworkEntry? entry;
        try
        {
            entry = NetworkCatalog.Find(name);
        }
        catch (System.InvalidOperationException e)
        {
            throw new UsageException(e.Message); // two networks answer to the name
        }
        return entry ?? throw new UsageException(NetworkCatalog.All.Count == 0
            ? $"no network named '{name}': this program declares no [Network] class"
            : $"no network named '{name}'; the networks are {NetworkCatalog.Names}");
    }
}
