// Fuzz seed 503347: random shapes, sealed partial class, Channels 5 -> 2147483647
// Found: generated code does not compile: CS0266 Cannot implicitly convert type 'long' to 'int'. An explicit conversion exists (are you missing a cast?) at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.Deep.Inner.Net.Kernels.g.cs: (26,27)-(26,43); CS0266 Cannot implicitly convert type 'long' to 'int'. An explicit conversion exists (are you missing a cast?) at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.Deep.Inner.Net.Kernels.g.cs: (27,28)-(27,47); CS1503 Argument 1: cannot convert from 'long' to 'int' at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.Deep.Inner.Net.Partition.g.cs: (66,29)-(66,41)
// ==== file: Net.cs
using NetGen;
namespace Fuzz.Deep.Inner;
[Network(Channels = 2147483647, Height = 2147483647, Width = 8, Columns = 3)]
public sealed partial class Net
{
    [Dense(10)] public partial Layer L0 { get; }
}
