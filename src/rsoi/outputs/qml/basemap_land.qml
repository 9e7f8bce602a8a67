<qgis version="3.22.16" styleCategories="Symbology|Labeling|MapTips">
  <!-- Natural Earth land (made with Natural Earth) -->
  <renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
<symbols>
<symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleFill" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="color" value="${land}"/>
<Option type="QString" name="style" value="solid"/>
<Option type="QString" name="outline_color" value="${border}"/>
<Option type="QString" name="outline_style" value="no"/>
<Option type="QString" name="outline_width" value="0.2"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
</symbols>
</renderer-v2>
  
  
  <blendMode>0</blendMode>
<featureBlendMode>0</featureBlendMode>
<layerOpacity>1</layerOpacity>
  
</qgis>
