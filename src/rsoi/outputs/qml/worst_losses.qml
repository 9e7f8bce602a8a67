<qgis version="3.22.16" styleCategories="Symbology|Labeling|MapTips">
  <!-- rsoi interdict worst_losses: one point per node x k; red = in the worst set only, dark red = also in the greedy set; larger for smaller k (drawn on top) -->
  <renderer-v2 type="categorizedSymbol" attr="in_greedy_set" symbollevels="0" forceraster="0" enableorderby="1" referencescale="-1">
<categories>
<category value="0" symbol="0" label="worst set only (greedy misses it)" render="true"/>
<category value="1" symbol="1" label="worst set, also in the greedy set" render="true"/>
</categories>
<symbols>
<symbol type="marker" name="0" alpha="0.9" clip_to_extent="1" force_rhr="0">
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="circle"/>
<Option type="QString" name="color" value="200,16,46,255"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_width" value="0.4"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="4"/>
<Option type="QString" name="size_unit" value="MM"/>
</Option>
</layer>
</symbol>
<symbol type="marker" name="1" alpha="0.9" clip_to_extent="1" force_rhr="0">
<layer class="SimpleMarker" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="name" value="circle"/>
<Option type="QString" name="color" value="122,0,25,255"/>
<Option type="QString" name="outline_color" value="255,255,255,255"/>
<Option type="QString" name="outline_width" value="0.4"/>
<Option type="QString" name="outline_width_unit" value="MM"/>
<Option type="QString" name="size" value="4"/>
<Option type="QString" name="size_unit" value="MM"/>
</Option>
</layer>
</symbol>
</symbols>
<orderby>
<orderByClause asc="0" nullsFirst="0">"k"</orderByClause>
</orderby>
</renderer-v2>
  <labeling type="simple">
<settings calloutType="simple">
<text-style fieldName="concat(&quot;node&quot;, ' (k=', &quot;k&quot;, ')')" isExpression="1" fontSize="9" fontFamily="DejaVu Sans" textColor="30,30,30,255" fontWeight="75" textOpacity="1" namedStyle="Bold" fontSizeUnit="Point" multilineHeight="1">
<text-buffer bufferDraw="1" bufferSize="1" bufferSizeUnits="MM" bufferColor="255,255,255,255" bufferOpacity="0.9" bufferNoFill="1" bufferJoinStyle="128" bufferBlendMode="0"/>
</text-style>
<placement placement="6" dist="1.5" distUnits="MM" priority="5" placementFlags="10" quadOffset="2" offsetType="0"/>
<rendering obstacle="1" displayAll="0" upsidedownLabels="0" labelPerPart="0" mergeLines="0" limitNumLabels="0" maxNumLabels="2000" drawLabels="1"/>
</settings>
  </labeling>
  <blendMode>0</blendMode>
<featureBlendMode>0</featureBlendMode>
<layerOpacity>1</layerOpacity>
  <mapTip>&lt;b&gt;[% "node" %]&lt;/b&gt;&lt;br&gt;lost in the worst set of k = [% "k" %] from period [% "from_period" %]&lt;br&gt;objective increase: [% round("objective_increase", 2) %]</mapTip>
</qgis>
