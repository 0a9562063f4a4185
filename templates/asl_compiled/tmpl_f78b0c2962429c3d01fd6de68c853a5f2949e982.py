from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = '_deploy_lambda.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_failures = resolve('failures')
    l_0_s = resolve('s')
    l_0_p = resolve('p')
    l_0_read_configuration = resolve('read_configuration')
    l_0_service_retry = resolve('service_retry')
    l_0_own_variables = resolve('own_variables')
    l_0_merged_environment = resolve('merged_environment')
    l_0_update_configuration = resolve('update_configuration')
    l_0_polls = resolve('polls')
    l_0_update_code = resolve('update_code')
    l_0_publish_version = resolve('publish_version')
    l_0_get_alias = resolve('get_alias')
    l_0_watch_states = resolve('watch_states')
    l_0_weights = resolve('weights')
    l_0_create_alias = resolve('create_alias')
    l_0_shift = resolve('shift')
    l_0_interval = resolve('interval')
    l_0_alarms = resolve('alarms')
    l_0_promote = resolve('promote')
    l_0_bake = resolve('bake')
    l_0_roll_back = resolve('roll_back')
    l_0_fail = l_0_undo_state = l_0_undo = missing
    try:
        t_1 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_2 = environment.tests['defined']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No test named 'defined' found.")
    pass
    l_0_fail = [{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')}]
    context.vars['fail'] = l_0_fail
    context.exported_vars.add('fail')
    l_0_undo_state = ('Roll back alias' if t_2(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'rolled_back')) else environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state'))
    context.vars['undo_state'] = l_0_undo_state
    context.exported_vars.add('undo_state')
    l_0_undo = [{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': (undefined(name='undo_state') if l_0_undo_state is missing else l_0_undo_state)}]
    context.vars['undo'] = l_0_undo
    context.exported_vars.add('undo')
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Read function configuration', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:lambda:getFunctionConfiguration', )), (undefined(name='read_configuration') if l_0_read_configuration is missing else l_0_read_configuration), 'Deployment environment', result_path='$.function', result_selector={'configuration.$': '$'}, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='fail') if l_0_fail is missing else l_0_fail), comment='Variables set on the function by others are kept; the deployment sets only its own.'))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'Deployment environment', 'Function has variables?', '$.environment', parameters={'Variables': (undefined(name='own_variables') if l_0_own_variables is missing else l_0_own_variables)}))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Function has variables?', [{'Variable': '$.function.configuration.Environment.Variables', 'IsPresent': True, 'Next': 'Merge environment'}], 'Update function configuration'))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'Merge environment', 'Update function configuration', '$.environment', parameters=(undefined(name='merged_environment') if l_0_merged_environment is missing else l_0_merged_environment)))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Update function configuration', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:lambda:updateFunctionConfiguration', )), (undefined(name='update_configuration') if l_0_update_configuration is missing else l_0_update_configuration), environment.getattr(environment.getitem((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'configuration update'), 'start_state'), result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='fail') if l_0_fail is missing else l_0_fail)))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'poll_loop'), environment.getitem((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'configuration update')))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Update function code', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:lambda:updateFunctionCode', )), (undefined(name='update_code') if l_0_update_code is missing else l_0_update_code), environment.getattr(environment.getitem((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'code update'), 'start_state'), result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='fail') if l_0_fail is missing else l_0_fail)))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'poll_loop'), environment.getitem((undefined(name='polls') if l_0_polls is missing else l_0_polls), 'code update')))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Publish version', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:lambda:publishVersion', )), (undefined(name='publish_version') if l_0_publish_version is missing else l_0_publish_version), 'Version published?', result_path='$.published', retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='fail') if l_0_fail is missing else l_0_fail)))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Version published?', [{'Variable': '$.published.Version', 'IsPresent': True, 'Next': 'Read alias'}], environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Read alias', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:lambda:getAlias', )), (undefined(name='get_alias') if l_0_get_alias is missing else l_0_get_alias), 'Version already live?', result_path='$.alias', retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=([{'ErrorEquals': ['Lambda.ResourceNotFoundException'], 'ResultPath': '$.error', 'Next': 'Create alias'}] + (undefined(name='fail') if l_0_fail is missing else l_0_fail)), comment='The version the alias serves now is where a rollback returns.'))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'Version already live?', [{'And': [{'Variable': '$.alias.FunctionVersion', 'IsPresent': True}, {'Variable': '$.alias.FunctionVersion', 'StringEqualsPath': '$.published.Version'}], 'Next': 'Record deployed'}, {'Variable': '$.alias.FunctionVersion', 'IsPresent': True, 'Next': (environment.getattr(environment.getitem((undefined(name='watch_states') if l_0_watch_states is missing else l_0_watch_states), 0), 'name') if (undefined(name='watch_states') if l_0_watch_states is missing else l_0_watch_states) else ('Start traffic shift' if (undefined(name='weights') if l_0_weights is missing else l_0_weights) else 'Promote version'))}], environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'watch_new_version'), (undefined(name='watch_states') if l_0_watch_states is missing else l_0_watch_states), environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'failed'), 'notify_state')))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Create alias', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:lambda:createAlias', )), (undefined(name='create_alias') if l_0_create_alias is missing else l_0_create_alias), 'Record deployed', result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='fail') if l_0_fail is missing else l_0_fail), comment='First deployment: nothing to shift traffic from.'))
    if (undefined(name='weights') if l_0_weights is missing else l_0_weights):
        pass
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'Start traffic shift', 'Shift traffic', '$.shift', result={'step': 0, 'weights': (undefined(name='weights') if l_0_weights is missing else l_0_weights)}, comment='Shares of traffic on the new version, one step per interval.'))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Shift traffic', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:lambda:updateAlias', )), (undefined(name='shift') if l_0_shift is missing else l_0_shift), 'Wait traffic interval', result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='undo') if l_0_undo is missing else l_0_undo)))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'wait_seconds'), 'Wait traffic interval', (undefined(name='interval') if l_0_interval is missing else l_0_interval), ('Check alarms during shift' if (undefined(name='alarms') if l_0_alarms is missing else l_0_alarms) else 'Next traffic step')))
        if (undefined(name='alarms') if l_0_alarms is missing else l_0_alarms):
            pass
            yield '\n    '
            yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'alarm_check'), 'Check alarms during shift', (undefined(name='alarms') if l_0_alarms is missing else l_0_alarms), 'Next traffic step', 'Roll back alias', (undefined(name='undo_state') if l_0_undo_state is missing else l_0_undo_state)))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'pass_state'), 'Next traffic step', 'More traffic steps?', '$.shift', parameters={'step.$': 'States.MathAdd($.shift.step, 1)', 'weights.$': '$.shift.weights'}))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), 'More traffic steps?', [{'Variable': '$.shift.step', 'NumericGreaterThanEquals': t_1((undefined(name='weights') if l_0_weights is missing else l_0_weights)), 'Next': 'Promote version'}], 'Shift traffic'))
    yield '\n    '
    yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Promote version', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:lambda:updateAlias', )), (undefined(name='promote') if l_0_promote is missing else l_0_promote), ('Wait bake time' if ((undefined(name='alarms') if l_0_alarms is missing else l_0_alarms) and (undefined(name='bake') if l_0_bake is missing else l_0_bake)) else 'Record deployed'), result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='undo') if l_0_undo is missing else l_0_undo)))
    if ((undefined(name='alarms') if l_0_alarms is missing else l_0_alarms) and (undefined(name='bake') if l_0_bake is missing else l_0_bake)):
        pass
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'wait_seconds'), 'Wait bake time', (undefined(name='bake') if l_0_bake is missing else l_0_bake), 'Check alarms after promotion'))
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'alarm_check'), 'Check alarms after promotion', (undefined(name='alarms') if l_0_alarms is missing else l_0_alarms), 'Record deployed', 'Roll back alias', (undefined(name='undo_state') if l_0_undo_state is missing else l_0_undo_state)))
    if t_2(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'rolled_back')):
        pass
        yield '\n    '
        yield str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Roll back alias', str_join(('arn:', environment.getattr((undefined(name='p') if l_0_p is missing else l_0_p), 'partition'), ':states:::aws-sdk:lambda:updateAlias', )), (undefined(name='roll_back') if l_0_roll_back is missing else l_0_roll_back), environment.getattr(environment.getattr((undefined(name='failures') if l_0_failures is missing else l_0_failures), 'rolled_back'), 'notify_state'), result_path=None, retry=(undefined(name='service_retry') if l_0_service_retry is missing else l_0_service_retry), catch=(undefined(name='fail') if l_0_fail is missing else l_0_fail)))
    yield '\n'

blocks = {}
debug_info = '3=45&5=48&6=51&7=55&11=57&12=59&14=61&15=63&17=65&18=67&20=69&23=71&25=73&27=75&31=77&37=79&38=81&41=82&42=85&44=87&46=89&47=90&48=93&50=95&52=97&55=99&57=100&58=103&59=105&61=106&62=109'