// Fuzz seed 20261313: random shapes, duplicate member, sealed partial class, two files
// Found: generated code does not compile: CS9251 A partial property may not have multiple implementing declarations at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.Deep.Inner.AlexNet.g.cs: (10,40)-(10,42); CS0102 The type 'AlexNet' already contains a definition for 'L0'
// (A network with errors gets fallback members; the duplicate was implemented twice there too.)
// ==== file: A.cs
using NetGen;
namespace Fuzz.Deep.Inner;
[Network(Channels = 3, Height = -1, Width = 5)]
public sealed partial class AlexNet
{
    [Dense(4), Relu] public partial Layer L0 { get; }
}
// ==== file: B.cs
using NetGen;
namespace Fuzz.Deep.Inner;
public sealed partial class AlexNet
{
    [Dense(4), Relu] public partial Layer L0 { get; }
    [Dense(2), Softmax] public partial Layer L1 { get; }
}
