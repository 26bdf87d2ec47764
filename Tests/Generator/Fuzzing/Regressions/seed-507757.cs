// Fuzz seed 507757: random shapes, abstract partial class
// Found: generated code does not compile: CS0102 The type 'N' already contains a definition for 'Partition' at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.Deep.Inner.N.Partition.g.cs: (15,47)-(15,56); CS0229 Ambiguity between 'N.Partition' and 'N.Partition' at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.Deep.Inner.N.Partition.g.cs: (32,66)-(32,75); CS0229 Ambiguity between 'N.Partition' and 'N.Partition' at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.Deep.Inner.N.Partition.g.cs: (52,40)-(52,49)
// ==== file: Net.cs
using NetGen;
namespace Fuzz.Deep.Inner;
[Network(Channels = 8, Height = 65536, Width = 10, Columns = 11)]
public abstract partial class N
{
    [Dense(72)] public partial Layer Partition { get; }
}
